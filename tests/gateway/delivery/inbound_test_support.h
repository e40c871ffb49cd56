// Shared by the inbound delivery tests: a small fax TIFF, a reception record, and the pieces
// of a composed mail (header, attachment bytes) read back.
#pragma once

#include <Poco/Base64Decoder.h>

#include <sstream>
#include <string>
#include <vector>

#include "gateway/image/fax_tiff.h"
#include "gateway/store/types.h"

namespace faxgate::gateway::testing {

// `pages` fine pages of 100 rows with a black bar each.
inline std::string smallFaxTiff(int pages) {
    std::vector<FaxPage> faxPages;
    for (int i = 0; i < pages; ++i) {
        FaxPage page;
        page.heightPx = 100;
        page.bits.assign(static_cast<size_t>(page.heightPx) * kFaxRowBytes, 0);
        for (int row = 10 + i; row < 20 + i; ++row) {
            for (int b = 10; b < 50; ++b)
                page.bits[static_cast<size_t>(row) * kFaxRowBytes + b] = 0xff;
        }
        faxPages.push_back(page);
    }
    return writeFaxTiff(faxPages);
}

inline CommunicationRecord reception(const std::string& id, int pages = 3) {
    CommunicationRecord record;
    record.recordId = id;
    record.direction = "receive";
    record.nodeId = "node-1";
    record.line = "sim-1";
    record.calledNumber = "0312345001";
    record.callerNumber = "0398765432";
    record.number = "0398765432";
    record.remoteCsid = "+81 3 9876 5432";
    record.pages = pages;
    record.pagesTotal = pages;
    record.durationMs = 61000;
    record.bitRate = 14400;
    record.ecm = true;
    record.result = "ok";
    record.reason = "all pages received";
    record.startedMs = 1732512345678;
    record.endedMs = 1732512406678;
    return record;
}

// The value of header `name` (first occurrence, unfolded), or "".
inline std::string headerOf(const std::string& message, const std::string& name) {
    const std::string head = message.substr(0, message.find("\r\n\r\n"));
    size_t at = ("\r\n" + head).find("\r\n" + name + ": ");
    if (at == std::string::npos) return "";
    size_t start = at + name.size() + 2;
    std::string value;
    for (;;) {
        size_t end = head.find("\r\n", start);
        value += head.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (end == std::string::npos || end + 2 >= head.size() ||
            (head[end + 2] != ' ' && head[end + 2] != '\t')) {
            break;
        }
        start = end + 2;
    }
    return value;
}

// The decoded bytes of the attachment named `fileName`, or "" if there is none.
inline std::string attachmentOf(const std::string& message, const std::string& fileName) {
    size_t at = message.find("filename=\"" + fileName + "\"");
    if (at == std::string::npos) return "";
    size_t bodyStart = message.find("\r\n\r\n", at);
    size_t bodyEnd = message.find("\r\n--", bodyStart + 4);
    std::istringstream encoded(message.substr(bodyStart + 4, bodyEnd - bodyStart - 4));
    Poco::Base64Decoder decoder(encoded);
    std::string decoded((std::istreambuf_iterator<char>(decoder)),
                        std::istreambuf_iterator<char>());
    return decoded;
}

}  // namespace faxgate::gateway::testing
