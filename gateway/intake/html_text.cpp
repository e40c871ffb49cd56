// HTML to plain text; see html_text.h.
#include "gateway/intake/html_text.h"

#include <Poco/String.h>

#include <array>
#include <utility>

#include "gateway/intake/charset.h"

namespace faxgate::gateway {

namespace {

// ASCII only, whatever the process locale: header and tag names are ASCII.
std::string lowercase(std::string_view text) { return Poco::toLower(std::string(text)); }

bool isHtmlSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// Entities common in mail; anything else is kept as written.
constexpr std::array<std::pair<std::string_view, char32_t>, 40> kNamedEntities{{
    {"amp", '&'},      {"lt", '<'},       {"gt", '>'},       {"quot", '"'},     {"apos", '\''},
    {"nbsp", ' '},     {"copy", 0xA9},    {"reg", 0xAE},     {"trade", 0x2122}, {"hellip", 0x2026},
    {"ndash", 0x2013}, {"mdash", 0x2014}, {"lsquo", 0x2018}, {"rsquo", 0x2019}, {"ldquo", 0x201C},
    {"rdquo", 0x201D}, {"laquo", 0xAB},   {"raquo", 0xBB},   {"bull", 0x2022},  {"middot", 0xB7},
    {"euro", 0x20AC},  {"pound", 0xA3},   {"yen", 0xA5},     {"cent", 0xA2},    {"deg", 0xB0},
    {"sect", 0xA7},    {"times", 0xD7},   {"auml", 0xE4},    {"ouml", 0xF6},    {"uuml", 0xFC},
    {"Auml", 0xC4},    {"Ouml", 0xD6},    {"Uuml", 0xDC},    {"szlig", 0xDF},   {"eacute", 0xE9},
    {"egrave", 0xE8},  {"agrave", 0xE0},  {"ccedil", 0xE7},  {"Eacute", 0xC9},  {"shy", 0xAD},
}};

// Decodes the entity at text[0] == '&'; returns the bytes consumed (0 if not an entity).
size_t decodeEntity(std::string_view text, std::string& out) {
    size_t end = text.find(';');
    if (end == std::string_view::npos || end < 2 || end > 10) return 0;
    std::string_view name = text.substr(1, end - 1);
    if (name[0] == '#') {
        char32_t codePoint = 0;
        bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
        std::string_view digits = name.substr(hex ? 2 : 1);
        if (digits.empty()) return 0;
        for (char c : digits) {
            int digit;
            if (c >= '0' && c <= '9') {
                digit = c - '0';
            } else if (hex && c >= 'a' && c <= 'f') {
                digit = c - 'a' + 10;
            } else if (hex && c >= 'A' && c <= 'F') {
                digit = c - 'A' + 10;
            } else {
                return 0;
            }
            codePoint = codePoint * (hex ? 16 : 10) + static_cast<char32_t>(digit);
            if (codePoint > 0x10FFFF) return 0;
        }
        if (codePoint == 0 || (codePoint >= 0xD800 && codePoint <= 0xDFFF)) codePoint = 0xFFFD;
        appendUtf8(out, codePoint);
        return end + 1;
    }
    for (const auto& [entity, codePoint] : kNamedEntities) {
        if (entity == name) {
            appendUtf8(out, codePoint);
            return end + 1;
        }
    }
    return 0;
}

enum class Break { None, Line, Paragraph };

Break breakForTag(const std::string& tag) {
    static constexpr std::array<std::string_view, 8> kParagraphTags{"p",  "h1", "h2", "h3",
                                                                    "h4", "h5", "h6", "blockquote"};
    static constexpr std::array<std::string_view, 13> kLineTags{
        "div", "li", "tr", "table",   "ul",      "ol",     "hr",
        "pre", "dt", "dd", "address", "section", "article"};
    for (auto name : kParagraphTags) {
        if (tag == name) return Break::Paragraph;
    }
    for (auto name : kLineTags) {
        if (tag == name) return Break::Line;
    }
    return Break::None;
}

// Final tidy-up: no blanks at line ends or starts, at most one empty line in a row, no
// leading or trailing empty lines.
std::string tidyLines(const std::string& text) {
    std::string out;
    size_t emptyLinesInRow = 0;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string_view line = std::string_view(text).substr(pos, end - pos);
        while (!line.empty() && line.back() == ' ') line.remove_suffix(1);
        if (line.empty()) {
            ++emptyLinesInRow;
        } else {
            if (!out.empty()) out += emptyLinesInRow > 0 ? "\n\n" : "\n";
            out.append(line);
            emptyLinesInRow = 0;
        }
        pos = end + 1;
    }
    return out;
}

}  // namespace

std::string htmlToText(std::string_view html) {
    std::string out;
    out.reserve(html.size() / 2);
    bool inPre = false;
    bool pendingSpace = false;
    // Block elements only make sure a new line (or paragraph) starts, so nested blocks
    // (<div><div>) do not pile up empty lines; <br> always breaks, as in a browser.
    auto addBreak = [&](Break kind) {
        pendingSpace = false;
        if (kind == Break::None || out.empty()) return;
        if (out.back() != '\n') out.push_back('\n');
        if (kind == Break::Paragraph && (out.size() < 2 || out[out.size() - 2] != '\n')) {
            out.push_back('\n');
        }
    };
    size_t pos = 0;
    while (pos < html.size()) {
        char c = html[pos];
        if (c == '<') {
            if (html.substr(pos, 4) == "<!--") {
                size_t end = html.find("-->", pos + 4);
                pos = end == std::string_view::npos ? html.size() : end + 3;
                continue;
            }
            size_t end = html.find('>', pos + 1);
            if (end == std::string_view::npos) break;  // a cut-off tag at the end
            std::string_view inside = html.substr(pos + 1, end - pos - 1);
            bool closing = !inside.empty() && inside[0] == '/';
            if (closing) inside.remove_prefix(1);
            size_t nameEnd = 0;
            while (nameEnd < inside.size() && !isHtmlSpace(inside[nameEnd]) &&
                   inside[nameEnd] != '/') {
                ++nameEnd;
            }
            std::string tag = lowercase(inside.substr(0, nameEnd));
            pos = end + 1;
            if (!closing &&
                (tag == "script" || tag == "style" || tag == "head" || tag == "title")) {
                size_t close = lowercase(html.substr(pos)).find("</" + tag);
                if (close == std::string::npos) break;
                pos += close;
                continue;
            }
            if (tag == "pre") inPre = !closing;
            if (tag == "br") {
                pendingSpace = false;
                out.push_back('\n');
                continue;
            }
            if (tag == "li") {
                if (!closing) {
                    addBreak(Break::Line);
                    out += "- ";
                }
                continue;
            }
            if (tag == "td" || tag == "th") {
                if (!closing) pendingSpace = true;
                continue;
            }
            Break kind = breakForTag(tag);
            if (kind != Break::None) addBreak(kind);
            continue;
        }
        if (c == '&') {
            size_t used = decodeEntity(html.substr(pos), out.append(pendingSpace ? " " : ""));
            pendingSpace = false;
            if (used > 0) {
                pos += used;
                continue;
            }
            out.push_back('&');
            ++pos;
            continue;
        }
        if (c == '\r') {  // CRLF inside <pre> is one line break
            ++pos;
            continue;
        }
        if (!inPre && isHtmlSpace(c)) {
            if (!out.empty() && out.back() != '\n') pendingSpace = true;
            ++pos;
            continue;
        }
        if (pendingSpace) {
            out.push_back(' ');
            pendingSpace = false;
        }
        out.push_back(c);
        ++pos;
    }
    return tidyLines(out);
}

}  // namespace faxgate::gateway
