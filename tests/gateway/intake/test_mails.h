// Helpers shared by the intake tests: base64 for building MIME bodies, and small documents
// whose first bytes identify them (the parser only sniffs; fax_document_test.cpp makes real
// ones where rendering needs them).
#pragma once

#include <Poco/Base64Encoder.h>

#include <sstream>
#include <string>

namespace faxgate::gateway::testing {

// Base64 with CRLF line breaks every 76 characters, as mailers write it.
inline std::string base64Lines(const std::string& bytes) {
    std::ostringstream encoded;
    {
        Poco::Base64Encoder encoder(encoded);
        encoder.rdbuf()->setLineLength(76);
        encoder << bytes;
    }
    std::string text = encoded.str();
    std::string crlf;
    for (char c : text) {
        if (c == '\n' || c == '\r') {
            if (c == '\n') crlf += "\r\n";
        } else {
            crlf += c;
        }
    }
    return crlf;
}

// Converts LF to CRLF so test mails can be written readably as raw strings.
inline std::string crlf(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '\n') out += '\r';
        out += c;
    }
    return out;
}

inline const std::string kPdfBytes = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<<>>\nendobj\n%%EOF\n";
inline const std::string kPngBytes = std::string("\x89PNG\r\n\x1A\n\0\0\0\rIHDR", 16);
inline const std::string kJpegBytes = std::string("\xFF\xD8\xFF\xE0\0\x10JFIF\0", 11);
inline const std::string kTiffBytes = std::string("II*\0\x08\0\0\0", 8);
inline const std::string kPostScriptBytes = "%!PS-Adobe-3.0\n%%Pages: 1\nshowpage\n";

}  // namespace faxgate::gateway::testing
