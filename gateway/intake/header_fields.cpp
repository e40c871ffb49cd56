// RFC 2047 / RFC 2231 header decoding; see header_fields.h.
#include "gateway/intake/header_fields.h"

#include <Poco/Net/MessageHeader.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/String.h>
#include <mimetic/codec/base64.h>
#include <mimetic/codec/code.h>

#include <algorithm>
#include <iterator>
#include <optional>
#include <vector>

#include "gateway/intake/charset.h"

namespace faxgate::gateway {

namespace {

// ASCII only, whatever the process locale: header and tag names are ASCII.
std::string lowercase(std::string_view text) { return Poco::toLower(std::string(text)); }

std::string_view trimBlanks(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool isBase64Character(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

// The decoded bytes of an encoded word's text, or nothing if it is malformed.
std::optional<std::string> decodeWordText(char encoding, std::string_view text) {
    std::string bytes;
    if (encoding == 'B' || encoding == 'b') {
        size_t significant = 0;
        for (char c : text) {
            if (isBase64Character(c)) {
                ++significant;
            } else if (c != '=') {
                return std::nullopt;
            }
        }
        if (significant % 4 == 1) return std::nullopt;
        mimetic::Base64::Decoder decoder;
        mimetic::decode(text.begin(), text.end(), decoder, std::back_inserter(bytes));
        return bytes;
    }
    if (encoding == 'Q' || encoding == 'q') {
        for (size_t i = 0; i < text.size(); ++i) {
            if (text[i] == '_') {
                bytes.push_back(' ');
            } else if (text[i] == '=' && i + 2 < text.size() && hexValue(text[i + 1]) >= 0 &&
                       hexValue(text[i + 2]) >= 0) {
                bytes.push_back(
                    static_cast<char>(hexValue(text[i + 1]) * 16 + hexValue(text[i + 2])));
                i += 2;
            } else {
                bytes.push_back(text[i]);
            }
        }
        return bytes;
    }
    return std::nullopt;
}

struct EncodedWord {
    size_t length = 0;    // bytes of the whole "=?charset?X?text?=" in the input
    std::string charset;  // without an RFC 2231 "*language" suffix
    std::string bytes;    // decoded, still in `charset`
};

// Parses the encoded word starting at text[0] == '=' && text[1] == '?'.
std::optional<EncodedWord> parseEncodedWord(std::string_view text) {
    size_t charsetEnd = text.find('?', 2);
    if (charsetEnd == std::string_view::npos || charsetEnd + 2 >= text.size() ||
        text[charsetEnd + 2] != '?') {
        return std::nullopt;
    }
    char encoding = text[charsetEnd + 1];
    size_t textStart = charsetEnd + 3;
    size_t textEnd = text.find("?=", textStart);
    if (textEnd == std::string_view::npos) return std::nullopt;
    std::string_view encodedText = text.substr(textStart, textEnd - textStart);
    if (encodedText.find_first_of(" \t") != std::string_view::npos) return std::nullopt;
    std::string_view charset = text.substr(2, charsetEnd - 2);
    if (charset.empty() || charset.find_first_of(" \t") != std::string_view::npos) {
        return std::nullopt;
    }
    charset = charset.substr(0, charset.find('*'));
    auto bytes = decodeWordText(encoding, encodedText);
    if (!bytes) return std::nullopt;
    return EncodedWord{textEnd + 2, std::string(charset), std::move(*bytes)};
}

std::string withoutControlCharacters(std::string text) {
    for (char& c : text) {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7F) c = ' ';
    }
    return text;
}

}  // namespace

std::string percentDecode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() && hexValue(text[i + 1]) >= 0 &&
            hexValue(text[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hexValue(text[i + 1]) * 16 + hexValue(text[i + 2])));
            i += 2;
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

std::string decodeEncodedWords(std::string_view text) {
    std::string out;
    // Bytes of consecutive encoded words in one charset are joined before conversion: some
    // mailers split a multi-byte character across two words.
    std::string pendingBytes;
    std::string pendingCharset;
    auto flushPending = [&] {
        if (!pendingBytes.empty()) out += toUtf8(pendingBytes, pendingCharset);
        pendingBytes.clear();
    };
    bool lastWasEncoded = false;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t start = text.find("=?", pos);
        std::string_view plain =
            text.substr(pos, start == std::string_view::npos ? text.npos : start - pos);
        std::optional<EncodedWord> word;
        if (start != std::string_view::npos) word = parseEncodedWord(text.substr(start));
        if (!word) {
            // Not an encoded word after all: everything up to and including "=?" is text.
            size_t end = start == std::string_view::npos ? text.size() : start + 2;
            flushPending();
            out += toUtf8(text.substr(pos, end - pos), "");
            lastWasEncoded = false;
            pos = end;
            continue;
        }
        bool onlyWhitespaceBetween = trimBlanks(plain).empty();
        if (!(lastWasEncoded && onlyWhitespaceBetween)) {
            flushPending();
            out += toUtf8(plain, "");
        }
        if (lowercase(word->charset) != lowercase(pendingCharset)) flushPending();
        pendingCharset = word->charset;
        pendingBytes += word->bytes;
        lastWasEncoded = true;
        pos = start + word->length;
    }
    flushPending();
    return withoutControlCharacters(std::move(out));
}

ParameterizedValue parseParameterizedValue(std::string_view fieldValue) {
    ParameterizedValue result;
    std::string value;
    Poco::Net::NameValueCollection rawParameters;
    try {
        Poco::Net::MessageHeader::splitParameters(std::string(fieldValue), value, rawParameters);
    } catch (const std::exception&) {
        // A field Poco cannot split is treated as having no parameters.
        value = std::string(fieldValue.substr(0, fieldValue.find(';')));
        rawParameters.clear();
    }
    result.value = lowercase(trimBlanks(value));

    // RFC 2231 pieces, grouped by parameter name: segment number -> (extended?, text).
    struct Segment {
        bool extended = false;
        std::string text;
    };
    std::map<std::string, std::map<int, Segment>> rfc2231;
    for (const auto& [rawName, rawValue] : rawParameters) {
        std::string name = lowercase(trimBlanks(rawName));
        size_t star = name.find('*');
        if (star == std::string::npos) {
            result.parameters.emplace(name, rawValue);
            continue;
        }
        std::string base = name.substr(0, star);
        std::string_view rest = std::string_view(name).substr(star + 1);
        Segment segment;
        int number = 0;
        if (rest.empty()) {  // name*=charset'lang'text
            segment.extended = true;
        } else {  // name*N= or name*N*=
            size_t digits = 0;
            while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
            // More than three digits would mean a thousand segments: not a real file name.
            if (digits == 0 || digits > 3) continue;
            number = std::stoi(std::string(rest.substr(0, digits)));
            std::string_view tail = rest.substr(digits);
            if (tail == "*") {
                segment.extended = true;
            } else if (!tail.empty()) {
                continue;
            }
        }
        segment.text = rawValue;
        rfc2231[base][number] = std::move(segment);
    }
    for (auto& [name, segments] : rfc2231) {
        std::string bytes;
        std::string charset;
        int expected = 0;
        for (auto& [number, segment] : segments) {
            if (number != expected++) break;  // a gap: keep what is contiguous
            std::string_view text = segment.text;
            if (segment.extended && number == 0) {
                // charset'language'text; both parts may be empty.
                size_t firstQuote = text.find('\'');
                size_t secondQuote = firstQuote == std::string_view::npos
                                         ? std::string_view::npos
                                         : text.find('\'', firstQuote + 1);
                if (secondQuote != std::string_view::npos) {
                    charset = std::string(text.substr(0, firstQuote));
                    text = text.substr(secondQuote + 1);
                }
            }
            bytes += segment.extended ? percentDecode(text) : std::string(text);
        }
        result.parameters[name] = toUtf8(bytes, charset);
    }
    return result;
}

}  // namespace faxgate::gateway
