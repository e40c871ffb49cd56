// Building blocks of outgoing messages; see mail_format.h.
#include "gateway/delivery/mail_format.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <random>
#include <vector>

namespace faxgate::gateway {
namespace {

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// RFC 5322 2.1.1: lines SHOULD be at most 78 characters.
constexpr size_t kFoldColumn = 78;
// RFC 2047 2: a line with encoded words is at most 76 characters, an encoded word at most 75.
constexpr size_t kEncodedLineColumn = 76;
// "=?UTF-8?B?" + "?=" around the base64 text.
constexpr size_t kEncodedWordOverhead = 12;

// Bytes of text that fit into one encoded word in `room` columns: whole base64 groups of 4
// characters for 3 bytes, so no padding appears mid-text. At least one group.
size_t encodedWordTextBytes(size_t room) {
    size_t groups = room > kEncodedWordOverhead + 4 ? (room - kEncodedWordOverhead) / 4 : 1;
    return groups * 3;
}

std::string encodeBase64(std::string_view data) {
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        uint32_t n = (uint32_t(uint8_t(data[i])) << 16) | (uint32_t(uint8_t(data[i + 1])) << 8) |
                     uint32_t(uint8_t(data[i + 2]));
        out += kBase64Alphabet[(n >> 18) & 63];
        out += kBase64Alphabet[(n >> 12) & 63];
        out += kBase64Alphabet[(n >> 6) & 63];
        out += kBase64Alphabet[n & 63];
    }
    size_t rest = data.size() - i;
    if (rest > 0) {
        uint32_t n = uint32_t(uint8_t(data[i])) << 16;
        if (rest == 2) n |= uint32_t(uint8_t(data[i + 1])) << 8;
        out += kBase64Alphabet[(n >> 18) & 63];
        out += kBase64Alphabet[(n >> 12) & 63];
        out += rest == 2 ? kBase64Alphabet[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

// Length of the UTF-8 sequence starting at text[pos], or 0 if the bytes there are not a
// valid, shortest-form sequence.
size_t utf8SequenceLength(std::string_view text, size_t pos) {
    auto byte = [&](size_t i) { return uint8_t(text[i]); };
    uint8_t lead = byte(pos);
    if (lead < 0x80) return 1;
    size_t length = 0;
    uint32_t codePoint = 0;
    if ((lead & 0xE0) == 0xC0) {
        length = 2;
        codePoint = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
        length = 3;
        codePoint = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
        length = 4;
        codePoint = lead & 0x07;
    } else {
        return 0;
    }
    if (pos + length > text.size()) return 0;
    for (size_t i = 1; i < length; ++i) {
        if ((byte(pos + i) & 0xC0) != 0x80) return 0;
        codePoint = (codePoint << 6) | (byte(pos + i) & 0x3F);
    }
    static constexpr std::array<uint32_t, 5> kSmallest{0, 0, 0x80, 0x800, 0x10000};
    if (codePoint < kSmallest[length] || codePoint > 0x10FFFF ||
        (codePoint >= 0xD800 && codePoint <= 0xDFFF)) {
        return 0;
    }
    return length;
}

std::string randomHexBytes(size_t bytes) {
    static thread_local std::mt19937_64 generator{std::random_device{}()};
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (size_t i = 0; i < bytes; ++i) {
        auto value = uint8_t(generator());
        out += kHex[value >> 4];
        out += kHex[value & 15];
    }
    return out;
}

std::tm utcTime(int64_t timeMs) {
    std::time_t seconds = std::time_t(timeMs / 1000);
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    return parts;
}

// Folds "Name: word word word" at spaces so that lines stay within kFoldColumn where the
// words allow it; a single word longer than that stays whole (RFC 5322 allows 998).
std::string foldAtSpaces(std::string_view name, const std::vector<std::string>& words) {
    std::string out(name);
    out += ':';
    size_t column = out.size();
    bool first = true;
    for (const std::string& word : words) {
        if (!first && column + 1 + word.size() > kFoldColumn) {
            out += "\r\n";
            column = 0;
        }
        out += ' ';
        out += word;
        column += 1 + word.size();
        first = false;
    }
    out += "\r\n";
    return out;
}

}  // namespace

std::string encodeBase64Lines(std::string_view data) {
    std::string encoded = encodeBase64(data);
    std::string out;
    out.reserve(encoded.size() + encoded.size() / 76 * 2 + 2);
    for (size_t pos = 0; pos < encoded.size(); pos += 76) {
        out.append(encoded, pos, 76);
        out += "\r\n";
    }
    return out;
}

std::string headerField(std::string_view name, std::string_view value) {
    std::vector<std::string> words;
    if (isAscii(value)) {
        size_t pos = 0;
        while (pos < value.size()) {
            size_t space = value.find(' ', pos);
            if (space == std::string_view::npos) space = value.size();
            if (space > pos) words.emplace_back(value.substr(pos, space - pos));
            pos = space + 1;
        }
        return foldAtSpaces(name, words);
    }
    // Encoded words of whole characters, one per line: the first shares its line with the
    // field name. The white space between adjacent encoded words is not part of the text
    // (RFC 2047 6.2), so splitting anywhere between characters is safe.
    size_t pos = 0;
    while (pos < value.size()) {
        size_t room = words.empty()
                          ? kEncodedLineColumn - std::min(kEncodedLineColumn, name.size() + 2)
                          : kEncodedLineColumn - 1;
        size_t maxBytes = encodedWordTextBytes(room);
        size_t end = pos;
        while (end < value.size()) {
            size_t length = utf8SequenceLength(value, end);
            if (length == 0) length = 1;  // cleanLine() removes these; keep going regardless
            if (end + length - pos > maxBytes) {
                if (end == pos) end += length;  // a character wider than the room: alone
                break;
            }
            end += length;
        }
        words.push_back("=?UTF-8?B?" + encodeBase64(value.substr(pos, end - pos)) + "?=");
        pos = end;
    }
    return foldAtSpaces(name, words);
}

std::string randomToken(size_t bytes) { return randomHexBytes(bytes); }

std::string rfc5322Date(int64_t timeMs) {
    static constexpr std::array<const char*, 7> kDays{"Sun", "Mon", "Tue", "Wed",
                                                      "Thu", "Fri", "Sat"};
    static constexpr std::array<const char*, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm parts = utcTime(timeMs);
    char text[64];
    std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d +0000",
                  kDays[size_t(parts.tm_wday) % 7], parts.tm_mday,
                  kMonths[size_t(parts.tm_mon) % 12], parts.tm_year + 1900, parts.tm_hour,
                  parts.tm_min, parts.tm_sec);
    return text;
}

std::string readableTime(int64_t timeMs) {
    if (timeMs <= 0) return "-";
    std::tm parts = utcTime(timeMs);
    char text[64];
    std::snprintf(text, sizeof text, "%04d-%02d-%02d %02d:%02d:%02d UTC", parts.tm_year + 1900,
                  parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec);
    return text;
}

std::string readableDuration(int64_t durationMs) {
    if (durationMs < 0) durationMs = 0;
    int64_t seconds = (durationMs + 500) / 1000;
    if (seconds < 60) return std::to_string(seconds) + " s";
    int64_t minutes = seconds / 60;
    if (minutes < 60) {
        return std::to_string(minutes) + " min " + std::to_string(seconds % 60) + " s";
    }
    return std::to_string(minutes / 60) + " h " + std::to_string(minutes % 60) + " min";
}

std::string newMessageId(std::string_view tag, std::string_view hostname) {
    return "<faxgate." + std::string(tag) + "." + randomHexBytes(8) + "@" + std::string(hostname) +
           ">";
}

std::string normaliseMessageId(std::string_view messageId) {
    std::string_view id = messageId;
    while (!id.empty() && (id.front() == ' ' || id.front() == '\t')) id.remove_prefix(1);
    while (!id.empty() && (id.back() == ' ' || id.back() == '\t')) id.remove_suffix(1);
    if (id.size() >= 2 && id.front() == '<' && id.back() == '>') id = id.substr(1, id.size() - 2);
    if (id.empty() || id.size() > 250 || id.find('@') == std::string_view::npos) return {};
    for (char c : id) {
        auto byte = uint8_t(c);
        if (byte <= 0x20 || byte >= 0x7F || c == '<' || c == '>') return {};
    }
    return "<" + std::string(id) + ">";
}

std::string cleanLine(std::string_view text, size_t maxBytes) {
    std::string out;
    out.reserve(std::min(text.size(), maxBytes));
    size_t pos = 0;
    bool truncated = false;
    while (pos < text.size()) {
        size_t length = utf8SequenceLength(text, pos);
        std::string_view piece;
        if (length == 0) {
            piece = "?";
            length = 1;
        } else if (length == 1 && (uint8_t(text[pos]) < 0x20 || text[pos] == 0x7F)) {
            piece = " ";
        } else {
            piece = text.substr(pos, length);
        }
        pos += length;
        if (piece == " " && (out.empty() || out.back() == ' ')) continue;
        if (out.size() + piece.size() > maxBytes) {
            truncated = true;
            break;
        }
        out += piece;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    if (truncated) {
        // Make room for the marker without splitting a character.
        while (!out.empty() && out.size() + 3 > maxBytes) {
            size_t cut = out.size() - 1;
            while (cut > 0 && (uint8_t(out[cut]) & 0xC0) == 0x80) --cut;
            out.erase(cut);
        }
        if (maxBytes >= 3) out += "...";
    }
    return out;
}

std::string toCrlf(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 40);
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '\r') {
            out += "\r\n";
            if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
        } else if (c == '\n') {
            out += "\r\n";
        } else {
            out += c;
        }
    }
    return out;
}

bool isPlainAddress(std::string_view address) {
    if (address.empty() || address.size() > 254) return false;
    size_t at = address.find('@');
    if (at == 0 || at == std::string_view::npos || at + 1 == address.size()) return false;
    if (address.find('@', at + 1) != std::string_view::npos) return false;
    for (char c : address) {
        auto byte = uint8_t(c);
        if (byte <= 0x20 || byte == 0x7F) return false;
        if (std::string_view("<>()[],;:\"\\").find(c) != std::string_view::npos) return false;
    }
    return true;
}

bool isAscii(std::string_view text) {
    for (char c : text) {
        if (uint8_t(c) >= 0x80) return false;
    }
    return true;
}

size_t characterCount(std::string_view text) {
    size_t count = 0;
    for (char c : text) {
        if ((uint8_t(c) & 0xC0) != 0x80) ++count;
    }
    return count;
}

}  // namespace faxgate::gateway
