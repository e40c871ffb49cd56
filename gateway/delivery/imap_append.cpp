// IMAP APPEND client on libcurl; see imap_append.h.
#include "gateway/delivery/imap_append.h"

#include <Poco/Logger.h>
#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <vector>

#include "gateway/delivery/mail_format.h"

namespace faxgate::gateway {
namespace {

Poco::Logger& logger() { return Poco::Logger::get("gateway.delivery.imap_append"); }

// Server replies quoted in messages are cut to this many bytes.
constexpr size_t kMaxQuotedReplyBytes = 300;
// Server lines kept per request: enough for the greeting, capabilities and tagged replies.
constexpr size_t kMaxCollectedBytes = 64 * 1024;

void initialiseCurlOnce() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            throw std::runtime_error("imap append: curl_global_init failed");
        }
    });
}

struct Upload {
    const std::string* data;
    size_t offset = 0;
};

size_t readMessage(char* buffer, size_t size, size_t count, void* user) {
    auto* upload = static_cast<Upload*>(user);
    size_t chunk = std::min(size * count, upload->data->size() - upload->offset);
    upload->data->copy(buffer, chunk, upload->offset);
    upload->offset += chunk;
    return chunk;
}

// libcurl hands every IMAP response line to the header callback and the untagged replies of a
// custom command to the write callback; both are collected (bounded) into a string.
size_t collectText(char* data, size_t size, size_t count, void* user) {
    auto* text = static_cast<std::string*>(user);
    size_t bytes = size * count;
    if (text->size() < kMaxCollectedBytes) {
        text->append(data, std::min(bytes, kMaxCollectedBytes - text->size()));
    }
    return bytes;
}

std::vector<std::string> linesOf(const std::string& text) {
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        lines.push_back(std::move(line));
        start = end + 1;
    }
    return lines;
}

// The last tagged response ("A003 NO [TRYCREATE] ..."): a line that is neither untagged ("*")
// nor a continuation ("+"). Empty when the server sent none.
std::string lastTaggedLine(const std::string& replies) {
    std::string tagged;
    for (const std::string& line : linesOf(replies)) {
        if (!line.empty() && line[0] != '*' && line[0] != '+') tagged = line;
    }
    return tagged;
}

// The response code of a status response, upper case: "A3 NO [OVERQUOTA] ..." -> "OVERQUOTA".
std::string responseCodeOf(const std::string& line) {
    size_t tagEnd = line.find(' ');
    if (tagEnd == std::string::npos) return {};
    size_t statusEnd = line.find(' ', tagEnd + 1);
    if (statusEnd == std::string::npos || statusEnd + 1 >= line.size() ||
        line[statusEnd + 1] != '[') {
        return {};
    }
    size_t codeEnd = line.find_first_of(" ]", statusEnd + 2);
    if (codeEnd == std::string::npos) return {};
    std::string code = line.substr(statusEnd + 2, codeEnd - statusEnd - 2);
    std::transform(code.begin(), code.end(), code.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return code;
}

// "[APPENDUID <uidvalidity> <uid>]" in the APPEND's tagged OK (RFC 4315).
std::optional<unsigned long> appendUidOf(const std::string& replies) {
    const std::string line = lastTaggedLine(replies);
    std::string upper = line;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    size_t at = upper.find("[APPENDUID ");
    if (at == std::string::npos) return std::nullopt;
    unsigned long validity = 0, uid = 0;
    if (std::sscanf(line.c_str() + at + 11, "%lu %lu]", &validity, &uid) != 2 || uid == 0) {
        return std::nullopt;
    }
    return uid;
}

// The highest UID of "* SEARCH 4 7" untagged replies: the latest copy of the message.
std::optional<unsigned long> highestSearchUid(const std::string& untagged) {
    std::optional<unsigned long> highest;
    for (const std::string& line : linesOf(untagged)) {
        if (line.rfind("* SEARCH", 0) != 0) continue;
        size_t at = 8;
        while (at < line.size()) {
            while (at < line.size() && line[at] == ' ') ++at;
            char* end = nullptr;
            unsigned long uid = std::strtoul(line.c_str() + at, &end, 10);
            if (end == line.c_str() + at) break;
            if (!highest || uid > *highest) highest = uid;
            at = static_cast<size_t>(end - line.c_str());
        }
    }
    return highest;
}

// The Message-ID header of `message` ("<...>"), or empty. Only printable ASCII without
// quotes or backslashes, so it can be quoted in a SEARCH command as it is.
std::string messageIdOf(const std::string& message) {
    const std::string head = "\r\n" + message.substr(0, message.find("\r\n\r\n"));
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    size_t at = lower.find("\r\nmessage-id:");
    if (at == std::string::npos) return {};
    size_t start = at + 13;
    size_t end = head.find("\r\n", start);
    std::string value = head.substr(start, end == std::string::npos ? end : end - start);
    value.erase(0, value.find_first_not_of(' '));
    while (!value.empty() && value.back() == ' ') value.pop_back();
    bool usable = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
        return c > 0x20 && c < 0x7F && c != '"' && c != '\\';
    });
    return usable ? value : std::string();
}

// A tagged NO or BAD: "A003 NO [TRYCREATE] ...".
bool isRefusal(const std::string& tagged) {
    size_t tagEnd = tagged.find(' ');
    if (tagEnd == std::string::npos) return false;
    std::string status = tagged.substr(tagEnd + 1, 4);
    std::transform(status.begin(), status.end(), status.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return status.rfind("NO ", 0) == 0 || status.rfind("BAD ", 0) == 0 || status == "NO" ||
           status == "BAD";
}

bool isTemporaryResponseCode(const std::string& code) {
    return code == "OVERQUOTA" || code == "UNAVAILABLE" || code == "INUSE" || code == "LIMIT" ||
           code == "SERVERBUG";
}

bool hasControlCharacters(const std::string& text) {
    return std::any_of(text.begin(), text.end(),
                       [](char c) { return uint8_t(c) < 0x20 || uint8_t(c) == 0x7F; });
}

struct CurlEasyDeleter {
    void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};

}  // namespace

ImapAppend::ImapAppend(ImapAppendOptions options) : options_(std::move(options)) {
    initialiseCurlOnce();
    const std::string& url = options_.url;
    size_t schemeEnd = url.find("://");
    std::string scheme = schemeEnd == std::string::npos ? std::string() : url.substr(0, schemeEnd);
    if (scheme != "imap" && scheme != "imaps") {
        throw std::invalid_argument("imap_append url \"" + cleanLine(url, 100) +
                                    "\" must start with imap:// or imaps://");
    }
    for (char c : url) {
        if (uint8_t(c) <= 0x20 || uint8_t(c) >= 0x7F) {
            throw std::invalid_argument(
                "imap_append url contains white space or non-ASCII characters (percent-encode "
                "the folder name)");
        }
    }
    size_t authorityStart = schemeEnd + 3;
    size_t pathStart = url.find('/', authorityStart);
    std::string authority =
        url.substr(authorityStart,
                   pathStart == std::string::npos ? std::string::npos : pathStart - authorityStart);
    if (authority.empty()) throw std::invalid_argument("imap_append url has no host");
    if (authority.find('@') != std::string::npos) {
        throw std::invalid_argument(
            "imap_append url must not contain credentials: use imap_append login and password");
    }
    std::string folder = pathStart == std::string::npos ? std::string() : url.substr(pathStart + 1);
    // libcurl reads ";UID=" and "?" in an IMAP URL as a fetch or a search, not as a folder.
    if (folder.find_first_of(";?#") != std::string::npos) {
        throw std::invalid_argument("imap_append url: the path must be just a folder name");
    }
    if (folder.empty()) folder = "INBOX";
    folderUrl_ = scheme + "://" + authority + "/" + folder;
    displayName_ = folderUrl_;

    const std::string& login = options_.loginTemplate;
    if (login.empty()) throw std::invalid_argument("imap_append login must not be empty");
    if (hasControlCharacters(login)) {
        throw std::invalid_argument("imap_append login contains control characters");
    }
    for (size_t open = login.find('{'); open != std::string::npos;
         open = login.find('{', open + 1)) {
        size_t close = login.find('}', open);
        std::string name = close == std::string::npos ? "" : login.substr(open, close - open + 1);
        if (name != "{user}" && name != "{email}") {
            throw std::invalid_argument("imap_append login \"" + cleanLine(login, 100) +
                                        "\": only {user} and {email} may be replaced");
        }
    }
    if (options_.password.empty()) {
        throw std::invalid_argument("imap_append needs a password (or password_file)");
    }
    if (options_.timeoutMs < 1000 || options_.timeoutMs > 3600 * 1000) {
        throw std::invalid_argument("imap_append timeout must be between 1000 and 3600000 ms");
    }
}

std::string ImapAppend::loginFor(const std::string& email, const std::string& userId) const {
    std::string login;
    const std::string& pattern = options_.loginTemplate;
    for (size_t at = 0; at < pattern.size();) {
        if (pattern.compare(at, 7, "{email}") == 0) {
            login += email;
            at += 7;
        } else if (pattern.compare(at, 6, "{user}") == 0) {
            login += userId;
            at += 6;
        } else {
            login += pattern[at++];
        }
    }
    return login;
}

SendOutcome ImapAppend::send(const OutboxMail& mail) {
    auto refuse = [&](const std::string& why) {
        return SendOutcome{false, true, "imap " + displayName_ + ": " + why};
    };
    if (mail.to.size() != 1) {
        return refuse("an APPEND goes to one mailbox, the mail names " +
                      std::to_string(mail.to.size()));
    }
    const std::string& email = mail.to[0];
    if (!isPlainAddress(email)) {
        return refuse("recipient \"" + cleanLine(email, 100) + "\" is not a plain mail address");
    }
    if (options_.loginTemplate.find("{user}") != std::string::npos && mail.from.empty()) {
        return refuse("the mail names no faxgate user for the login's {user}");
    }
    const std::string login = loginFor(email, mail.from);
    if (hasControlCharacters(login)) return refuse("the login contains control characters");
    if (mail.data.size() > options_.maxMessageBytes) {
        return refuse("mail of " + std::to_string(mail.data.size()) + " bytes is larger than " +
                      std::to_string(options_.maxMessageBytes));
    }

    std::unique_ptr<CURL, CurlEasyDeleter> handle(curl_easy_init());
    if (!handle) return {false, false, "imap " + displayName_ + ": curl_easy_init failed"};
    CURL* curl = handle.get();
    char errorText[CURL_ERROR_SIZE] = {0};
    std::string replies;   // every response line of the current request
    std::string untagged;  // untagged replies of a custom command
    const long timeoutSeconds = (options_.timeoutMs + 999) / 1000;

    // The options every request on this handle needs; curl_easy_reset keeps the connection,
    // so the APPEND and the flag change share one login.
    auto prepare = [&] {
        curl_easy_reset(curl);
        errorText[0] = '\0';
        replies.clear();
        untagged.clear();
        curl_easy_setopt(curl, CURLOPT_URL, folderUrl_.c_str());
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "imap,imaps");
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errorText);
        curl_easy_setopt(curl, CURLOPT_USERNAME, login.c_str());
        curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.password.c_str());
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collectText);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, &replies);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collectText);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &untagged);
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, options_.timeoutMs);
        curl_easy_setopt(curl, CURLOPT_SERVER_RESPONSE_TIMEOUT, timeoutSeconds);
        // A stalled transfer (under 1 byte/s for the time-out) is abandoned; a large mail on a
        // slow but moving link is not.
        curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, timeoutSeconds);
        curl_easy_setopt(curl, CURLOPT_USE_SSL,
                         long(options_.requireTls ? CURLUSESSL_ALL : CURLUSESSL_TRY));
        if (!options_.verifyCertificate) {
            curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
            curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
        }
        if (!options_.caFile.empty())
            curl_easy_setopt(curl, CURLOPT_CAINFO, options_.caFile.c_str());
    };
    auto describe = [&](const std::string& step, CURLcode result) {
        // The server's refusal if it sent one, else libcurl's account (connection, TLS...).
        std::string tagged = lastTaggedLine(replies);
        std::string detail = isRefusal(tagged)      ? "server said \"" + tagged + "\""
                             : errorText[0] != '\0' ? std::string(errorText)
                                                    : std::string(curl_easy_strerror(result));
        return "imap " + displayName_ + ": " + step + ": " +
               cleanLine(detail, kMaxQuotedReplyBytes);
    };

    prepare();
    Upload upload{&mail.data};
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, readMessage);
    curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, curl_off_t(mail.data.size()));
    curl_easy_setopt(curl, CURLOPT_CRLF, 0L);  // the data already has CRLF line ends
    CURLcode result = curl_easy_perform(curl);
    if (result == CURLE_LOGIN_DENIED) {
        const std::string code = responseCodeOf(lastTaggedLine(replies));
        return {false, code != "UNAVAILABLE", describe("login as " + login + " refused", result)};
    }
    if (result == CURLE_UPLOAD_FAILED && isRefusal(lastTaggedLine(replies))) {
        const std::string code = responseCodeOf(lastTaggedLine(replies));
        return {false, !isTemporaryResponseCode(code),
                describe("APPEND for " + login + " refused", result)};
    }
    if (result != CURLE_OK) return {false, false, describe("APPEND for " + login, result)};

    // Delivered. Now the \Seen flag libcurl set: find the message's UID and clear it.
    std::optional<unsigned long> uid = appendUidOf(replies);
    if (!uid) {
        const std::string messageId = messageIdOf(mail.data);
        if (messageId.empty()) {
            logger().warning("imap " + displayName_ + ": mail " + std::to_string(mail.id) +
                             " for " + login +
                             " appended, but the server gave no APPENDUID and the mail has no "
                             "Message-ID: it stays marked as read");
            return {true, false, {}};
        }
        prepare();
        const std::string search = "UID SEARCH HEADER Message-ID \"" + messageId + "\"";
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, search.c_str());
        result = curl_easy_perform(curl);
        if (result == CURLE_OK) uid = highestSearchUid(untagged);
        if (!uid) {
            logger().warning("imap " + displayName_ + ": mail " + std::to_string(mail.id) +
                             " for " + login + " appended, but its UID was not found (" +
                             (result == CURLE_OK ? std::string("no SEARCH match")
                                                 : describe("UID SEARCH", result)) +
                             "): it stays marked as read");
            return {true, false, {}};
        }
    }
    prepare();
    const std::string store = "UID STORE " + std::to_string(*uid) + " -FLAGS (\\Seen)";
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, store.c_str());
    result = curl_easy_perform(curl);
    if (result != CURLE_OK) {
        logger().warning("imap " + displayName_ + ": mail " + std::to_string(mail.id) + " for " +
                         login + " appended as UID " + std::to_string(*uid) +
                         ", but it stays marked as read: " + describe("UID STORE", result));
    }
    return {true, false, {}};
}

}  // namespace faxgate::gateway
