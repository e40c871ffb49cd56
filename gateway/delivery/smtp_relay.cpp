// SMTP relay client on libcurl; see smtp_relay.h.
#include "gateway/delivery/smtp_relay.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "gateway/delivery/mail_format.h"

namespace faxgate::gateway {
namespace {

void initialiseCurlOnce() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            throw std::runtime_error("smtp relay: curl_global_init failed");
        }
    });
}

struct Upload {
    const std::string* data;
    size_t offset = 0;
};

size_t readMessage(char* buffer, size_t size, size_t count, void* user) {
    auto* upload = static_cast<Upload*>(user);
    size_t room = size * count;
    size_t left = upload->data->size() - upload->offset;
    size_t chunk = std::min(room, left);
    std::memcpy(buffer, upload->data->data() + upload->offset, chunk);
    upload->offset += chunk;
    return chunk;
}

bool isEhloName(const std::string& name) {
    if (name.empty() || name.size() > 253) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.' || c == '[' || c == ']' || c == ':';
    });
}

struct CurlEasyDeleter {
    void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct CurlListDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

SmtpRelay::SmtpRelay(RelayOptions options) : options_(std::move(options)) {
    initialiseCurlOnce();
    const std::string& url = options_.url;
    size_t schemeEnd = url.find("://");
    std::string scheme = schemeEnd == std::string::npos ? std::string() : url.substr(0, schemeEnd);
    if (scheme != "smtp" && scheme != "smtps") {
        throw std::invalid_argument("relay url \"" + cleanLine(url, 100) +
                                    "\" must start with smtp:// or smtps://");
    }
    size_t authorityStart = schemeEnd + 3;
    size_t pathStart = url.find('/', authorityStart);
    std::string authority =
        url.substr(authorityStart,
                   pathStart == std::string::npos ? std::string::npos : pathStart - authorityStart);
    if (authority.empty()) throw std::invalid_argument("relay url has no host");
    if (authority.find('@') != std::string::npos) {
        throw std::invalid_argument(
            "relay url must not contain credentials: use relay user "
            "and password");
    }
    for (char c : url) {
        if (uint8_t(c) <= 0x20 || uint8_t(c) >= 0x7F) {
            throw std::invalid_argument("relay url contains white space or non-ASCII characters");
        }
    }
    displayName_ = scheme + "://" + authority;
    std::string ehloName =
        pathStart == std::string::npos ? std::string() : url.substr(pathStart + 1);
    if (ehloName.empty()) ehloName = options_.heloName;
    if (!isEhloName(ehloName)) {
        throw std::invalid_argument("relay helo name \"" + cleanLine(ehloName, 100) +
                                    "\" is not a host name");
    }
    requestUrl_ = displayName_ + "/" + ehloName;
    if (options_.timeoutMs < 1000 || options_.timeoutMs > 3600 * 1000) {
        throw std::invalid_argument("relay timeout must be between 1000 and 3600000 ms");
    }
    if (options_.user.empty() != options_.password.empty()) {
        throw std::invalid_argument("relay user and password must be given together");
    }
    if (options_.maxRecipients == 0) {
        throw std::invalid_argument("relay max recipients must be at least 1");
    }
}

SendOutcome SmtpRelay::send(const OutboxMail& mail) {
    auto refuse = [&](const std::string& why) {
        return SendOutcome{false, true, "relay " + displayName_ + ": " + why};
    };
    if (!isPlainAddress(mail.from)) return refuse("sender is not a plain mail address");
    if (mail.to.empty()) return refuse("mail has no recipient");
    if (mail.to.size() > options_.maxRecipients) {
        return refuse("mail has " + std::to_string(mail.to.size()) + " recipients, more than " +
                      std::to_string(options_.maxRecipients));
    }
    for (const std::string& to : mail.to) {
        if (!isPlainAddress(to)) {
            return refuse("recipient \"" + cleanLine(to, 100) + "\" is not a plain mail address");
        }
    }
    if (mail.data.size() > options_.maxMessageBytes) {
        return refuse("mail of " + std::to_string(mail.data.size()) + " bytes is larger than " +
                      std::to_string(options_.maxMessageBytes));
    }

    std::unique_ptr<CURL, CurlEasyDeleter> handle(curl_easy_init());
    if (!handle) return {false, false, "relay " + displayName_ + ": curl_easy_init failed"};
    CURL* curl = handle.get();
    std::unique_ptr<curl_slist, CurlListDeleter> recipients;
    for (const std::string& to : mail.to) {
        curl_slist* appended = curl_slist_append(recipients.get(), ("<" + to + ">").c_str());
        if (appended == nullptr) return {false, false, "relay: out of memory"};
        (void)recipients.release();
        recipients.reset(appended);
    }
    std::string from = "<" + mail.from + ">";
    Upload upload{&mail.data};
    char errorText[CURL_ERROR_SIZE] = {0};
    long timeoutSeconds = (options_.timeoutMs + 999) / 1000;

    curl_easy_setopt(curl, CURLOPT_URL, requestUrl_.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errorText);
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients.get());
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, readMessage);
    curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, curl_off_t(mail.data.size()));
    curl_easy_setopt(curl, CURLOPT_CRLF, 0L);  // the data already has CRLF line ends
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, options_.timeoutMs);
    curl_easy_setopt(curl, CURLOPT_SERVER_RESPONSE_TIMEOUT, timeoutSeconds);
    // A stalled transfer (under 1 byte/s for the time-out) is abandoned; a large mail on a
    // slow but moving link is not.
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, timeoutSeconds);
    bool credentials = !options_.user.empty();
    if (credentials) {
        curl_easy_setopt(curl, CURLOPT_USERNAME, options_.user.c_str());
        curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.password.c_str());
    }
    if (options_.requireTls || credentials) {
        curl_easy_setopt(curl, CURLOPT_USE_SSL, long(CURLUSESSL_ALL));
        if (!options_.caFile.empty())
            curl_easy_setopt(curl, CURLOPT_CAINFO, options_.caFile.c_str());
    } else {
        curl_easy_setopt(curl, CURLOPT_USE_SSL, long(CURLUSESSL_TRY));
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }

    CURLcode result = curl_easy_perform(curl);
    if (result == CURLE_OK) return {true, false, {}};

    long replyCode = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &replyCode);
    std::string detail =
        errorText[0] != '\0' ? std::string(errorText) : std::string(curl_easy_strerror(result));
    std::string error = "relay " + displayName_ + ": " + cleanLine(detail, 300);
    if (replyCode > 0) error += " (last reply " + std::to_string(replyCode) + ")";
    bool permanent = replyCode >= 500 && replyCode <= 599;
    return {false, permanent, error};
}

}  // namespace faxgate::gateway
