// Charset conversion with glibc's iconv; see charset.h.
#include "gateway/intake/charset.h"

#include <iconv.h>

#include <cerrno>
#include <string>

namespace faxgate::gateway {

namespace {

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

std::string lowercaseTrimmed(std::string_view name) {
    while (!name.empty() && (name.front() == ' ' || name.front() == '"' || name.front() == '\t')) {
        name.remove_prefix(1);
    }
    while (!name.empty() && (name.back() == ' ' || name.back() == '"' || name.back() == '\t')) {
        name.remove_suffix(1);
    }
    std::string lower(name);
    for (char& c : lower) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return lower;
}

// The iconv name to use for a MIME charset. Labels are mapped to the superset that mailers
// actually produce under that label: text labelled ISO-8859-1 routinely contains Windows-1252
// quotes and dashes, and Shift_JIS mail is written by Windows with the CP932 extensions.
std::string iconvNameFor(const std::string& mimeName) {
    if (mimeName == "iso-8859-1" || mimeName == "iso8859-1" || mimeName == "latin1") {
        return "WINDOWS-1252";
    }
    if (mimeName == "shift_jis" || mimeName == "shift-jis" || mimeName == "sjis" ||
        mimeName == "x-sjis" || mimeName == "windows-31j") {
        return "CP932";
    }
    return mimeName;
}

// Windows-1252 decoded by hand for the fallback path: glibc's iconv refuses the five bytes
// Windows-1252 leaves undefined, and the fallback must never fail.
std::string fromWindows1252(std::string_view text) {
    static const char16_t kHighHalf[32] = {
        0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
        0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};
    std::string out;
    out.reserve(text.size() + text.size() / 4);
    for (unsigned char c : text) {
        if (c < 0x80) {
            out.push_back(static_cast<char>(c));
        } else if (c < 0xA0) {
            appendUtf8(out, kHighHalf[c - 0x80]);
        } else {
            appendUtf8(out, c);
        }
    }
    return out;
}

// Replaces every invalid sequence in `text` with U+FFFD.
std::string repairUtf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    size_t pos = 0;
    while (pos < text.size()) {
        size_t length = 1;
        auto byte = static_cast<unsigned char>(text[pos]);
        if (byte >= 0xC0) length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2;
        if (byte < 0x80) {
            out.push_back(text[pos]);
            ++pos;
        } else if (pos + length <= text.size() && isValidUtf8(text.substr(pos, length))) {
            out.append(text.substr(pos, length));
            pos += length;
        } else {
            out.append(kReplacementCharacter);
            ++pos;
        }
    }
    return out;
}

std::string unlabelledToUtf8(std::string_view text) {
    if (isValidUtf8(text)) return std::string(text);
    return fromWindows1252(text);
}

// Converts with iconv; returns false if iconv does not know the charset.
bool convertWithIconv(std::string_view text, const std::string& charset, std::string& out) {
    iconv_t cd = iconv_open("UTF-8", charset.c_str());
    // iconv_open's documented failure value is (iconv_t)-1.
    if (cd == reinterpret_cast<iconv_t>(-1)) return false;  // NOLINT(performance-no-int-to-ptr)
    out.clear();
    out.reserve(text.size() * 2 + 16);
    char buffer[4096];
    char* in = const_cast<char*>(text.data());  // iconv's prototype is not const-correct
    size_t inLeft = text.size();
    while (inLeft > 0) {
        char* outPtr = buffer;
        size_t outLeft = sizeof buffer;
        size_t result = iconv(cd, &in, &inLeft, &outPtr, &outLeft);
        out.append(buffer, static_cast<size_t>(outPtr - buffer));
        if (result != static_cast<size_t>(-1)) break;
        if (errno == E2BIG) continue;
        // EILSEQ (invalid byte) or EINVAL (sequence cut off at the end): mark it and go on
        // with the next byte, so one bad byte does not lose the rest of the text.
        out.append(kReplacementCharacter);
        ++in;
        --inLeft;
    }
    // Let stateful encodings (ISO-2022-JP) emit their return-to-initial-state sequence.
    char* outPtr = buffer;
    size_t outLeft = sizeof buffer;
    iconv(cd, nullptr, nullptr, &outPtr, &outLeft);
    out.append(buffer, static_cast<size_t>(outPtr - buffer));
    iconv_close(cd);
    return true;
}

}  // namespace

void appendUtf8(std::string& out, char32_t codePoint) {
    if (codePoint < 0x80) {
        out.push_back(static_cast<char>(codePoint));
    } else if (codePoint < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (codePoint >> 6)));
        out.push_back(static_cast<char>(0x80 | (codePoint & 0x3F)));
    } else if (codePoint < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (codePoint >> 12)));
        out.push_back(static_cast<char>(0x80 | ((codePoint >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (codePoint & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (codePoint >> 18)));
        out.push_back(static_cast<char>(0x80 | ((codePoint >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((codePoint >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (codePoint & 0x3F)));
    }
}

bool isValidUtf8(std::string_view text) {
    size_t pos = 0;
    while (pos < text.size()) {
        auto byte = static_cast<unsigned char>(text[pos]);
        if (byte < 0x80) {
            ++pos;
            continue;
        }
        size_t length;
        char32_t codePoint;
        if ((byte & 0xE0) == 0xC0) {
            length = 2;
            codePoint = byte & 0x1F;
        } else if ((byte & 0xF0) == 0xE0) {
            length = 3;
            codePoint = byte & 0x0F;
        } else if ((byte & 0xF8) == 0xF0) {
            length = 4;
            codePoint = byte & 0x07;
        } else {
            return false;
        }
        if (pos + length > text.size()) return false;
        for (size_t i = 1; i < length; ++i) {
            auto next = static_cast<unsigned char>(text[pos + i]);
            if ((next & 0xC0) != 0x80) return false;
            codePoint = (codePoint << 6) | (next & 0x3F);
        }
        static const char32_t kSmallestForLength[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (codePoint < kSmallestForLength[length] || codePoint > 0x10FFFF ||
            (codePoint >= 0xD800 && codePoint <= 0xDFFF)) {
            return false;
        }
        pos += length;
    }
    return true;
}

std::string toUtf8(std::string_view text, std::string_view charset) {
    std::string name = lowercaseTrimmed(charset);
    // US-ASCII is the default label, so text under it is as good as unlabelled: mailers put
    // it on UTF-8 and Latin text alike.
    if (name.empty() || name == "utf-8" || name == "utf8" || name == "us-ascii" ||
        name == "ascii" || name == "unknown-8bit" || name == "x-unknown" || name == "default") {
        return unlabelledToUtf8(text);
    }
    std::string converted;
    if (!convertWithIconv(text, iconvNameFor(name), converted)) return unlabelledToUtf8(text);
    // iconv already produced UTF-8; the repair pass is a guarantee, not a conversion.
    return isValidUtf8(converted) ? converted : repairUtf8(converted);
}

}  // namespace faxgate::gateway
