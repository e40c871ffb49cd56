// RCPT path -> fax number. See recipient.h for the accepted forms.
#include "gateway/smtp/recipient.h"

#include <cctype>

namespace faxgate::gateway {
namespace {

ParsedRecipient refuse(RecipientRefusalKind kind, std::string reason) {
    ParsedRecipient result;
    result.refusal.kind = kind;
    result.refusal.reason = std::move(reason);
    return result;
}

ParsedRecipient badAddress(std::string reason) {
    return refuse(RecipientRefusalKind::BadAddress, std::move(reason));
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isSeparator(char c) { return c == '-' || c == '.'; }

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    }
    return true;
}

// Parses "+81-3-1234-5678" into "+81312345678". Returns the refusal reason on failure.
std::optional<std::string> normaliseNumber(std::string_view text, std::string& number) {
    number.clear();
    size_t pos = 0;
    if (!text.empty() && text[0] == '+') {
        number.push_back('+');
        pos = 1;
    }
    size_t digits = 0;
    for (size_t i = pos; i < text.size(); ++i) {
        const char c = text[i];
        if (isDigit(c)) {
            number.push_back(c);
            ++digits;
        } else if (isSeparator(c)) {
            // A separator only makes sense between two digits.
            if (i == pos || !isDigit(text[i - 1]) || i + 1 == text.size() || !isDigit(text[i + 1]))
                return std::string("'-' and '.' may only separate digits in a fax number");
        } else if (isLetter(c)) {
            return std::string("letters are not allowed in a fax number");
        } else if (c == '+') {
            return std::string("'+' may only start a fax number");
        } else if (c == ' ' || c == '\t') {
            return std::string("spaces are not allowed in a fax number");
        } else {
            return std::string("the fax number contains a character that is not a digit");
        }
    }
    if (digits == 0) return std::string("no fax number before the '@'");
    if (digits < kMinFaxNumberDigits)
        return "the fax number is too short (at least " + std::to_string(kMinFaxNumberDigits) +
               " digits)";
    if (digits > kMaxFaxNumberDigits)
        return "the fax number is too long (at most " + std::to_string(kMaxFaxNumberDigits) +
               " digits)";
    return std::nullopt;
}

}  // namespace

ParsedRecipient parseFaxRecipient(std::string_view path, std::string_view faxDomain) {
    while (!path.empty() && (path.front() == ' ' || path.front() == '\t')) path.remove_prefix(1);
    while (!path.empty() && (path.back() == ' ' || path.back() == '\t')) path.remove_suffix(1);
    if (!path.empty() && path.front() == '<') {
        if (path.size() < 2 || path.back() != '>')
            return badAddress("the address has a '<' without a matching '>'");
        path = path.substr(1, path.size() - 2);
    } else if (!path.empty() && path.back() == '>') {
        return badAddress("the address has a '>' without a matching '<'");
    }
    if (path.empty()) return badAddress("the address is empty");
    if (path.size() > kMaxRecipientPathBytes)
        return badAddress("the address is longer than " + std::to_string(kMaxRecipientPathBytes) +
                          " characters");
    for (char c : path) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f || byte >= 0x80)
            return badAddress("the address contains control or non-ASCII characters");
    }
    if (path.front() == '@') return badAddress("source routes are not accepted");
    if (path.front() == '"') return badAddress("quoted local parts are not accepted");

    const size_t at = path.find('@');
    if (at == std::string_view::npos)
        return badAddress("the address has no domain: write number@" + std::string(faxDomain));
    if (path.find('@', at + 1) != std::string_view::npos)
        return badAddress("the address has more than one '@'");
    std::string_view localPart = path.substr(0, at);
    const std::string_view domain = path.substr(at + 1);
    if (domain.empty())
        return badAddress("the address has no domain: write number@" + std::string(faxDomain));
    if (!equalsIgnoreCase(domain, faxDomain))
        return refuse(RecipientRefusalKind::RelayDenied,
                      "relay not permitted: this gateway only accepts fax numbers @" +
                          std::string(faxDomain));

    constexpr std::string_view kFaxPrefix = "FAX=";
    if (localPart.size() >= kFaxPrefix.size() &&
        equalsIgnoreCase(localPart.substr(0, kFaxPrefix.size()), kFaxPrefix)) {
        localPart.remove_prefix(kFaxPrefix.size());
        // RFC 3192 qualifiers follow the number after '/'; T33S (sub-address) is the only one
        // defined. The line drivers cannot send a sub-address, so it is checked and dropped.
        const size_t slash = localPart.find('/');
        if (slash != std::string_view::npos) {
            std::string_view qualifier = localPart.substr(slash + 1);
            localPart = localPart.substr(0, slash);
            constexpr std::string_view kSubAddress = "T33S=";
            if (qualifier.size() <= kSubAddress.size() ||
                !equalsIgnoreCase(qualifier.substr(0, kSubAddress.size()), kSubAddress))
                return badAddress("only the /T33S= qualifier is understood after a FAX= number");
            qualifier.remove_prefix(kSubAddress.size());
            if (qualifier.size() > kMaxFaxNumberDigits)
                return badAddress("the T33S sub-address is too long");
            for (char c : qualifier)
                if (!isDigit(c)) return badAddress("the T33S sub-address must be digits");
        }
    }

    FaxRecipient recipient;
    if (auto reason = normaliseNumber(localPart, recipient.number)) return badAddress(*reason);
    recipient.address = std::string(path);
    ParsedRecipient result;
    result.recipient = std::move(recipient);
    return result;
}

}  // namespace faxgate::gateway
