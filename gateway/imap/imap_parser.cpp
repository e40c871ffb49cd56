// IMAP command framing and parsing. See imap_parser.h.
#include "gateway/imap/imap_parser.h"

#include <algorithm>
#include <charconv>

namespace faxgate::gateway {
namespace {

constexpr int64_t kMaxImapNumber = 4294967295LL;  // RFC 3501 nz-number / number

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Parses decimal digits only (no sign, no spaces); nothing if empty or out of range.
std::optional<uint64_t> parseNumber(std::string_view text, uint64_t max) {
    if (text.empty() || text.size() > 20) return std::nullopt;
    uint64_t value = 0;
    for (char c : text) {
        if (!isDigit(c)) return std::nullopt;
        value = value * 10 + static_cast<uint64_t>(c - '0');
        if (value > max) return std::nullopt;
    }
    return value;
}

// Literal announcement at the end of a line: "{123}" or "{123+}".
struct LiteralHeader {
    size_t size = 0;
    bool synchronising = true;
    bool valid = false;
};

LiteralHeader literalAtEnd(std::string_view line) {
    LiteralHeader header;
    if (line.empty() || line.back() != '}') return header;
    const size_t open = line.rfind('{');
    if (open == std::string_view::npos) return header;
    std::string_view inside = line.substr(open + 1, line.size() - open - 2);
    if (!inside.empty() && inside.back() == '+') {
        header.synchronising = false;
        inside.remove_suffix(1);
    }
    const auto number = parseNumber(inside, kMaxImapNumber);
    if (!number) return header;
    header.size = static_cast<size_t>(*number);
    header.valid = true;
    return header;
}

// RFC 3501 ATOM-CHAR, plus the list wildcards and '\' (flags) which the grammar allows in
// their places; ']' is allowed so "BODY[...]" stays one token (handled by the tokenizer).
bool isAtomChar(char c) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) return false;
    return c != '(' && c != ')' && c != '{' && c != '"';
}

class Tokenizer {
  public:
    Tokenizer(std::string_view text, const ImapParseLimits& limits)
        : text_(text), limits_(limits) {}

    bool atEnd() const { return pos_ >= text_.size(); }
    char peek() const { return text_[pos_]; }
    const std::string& error() const { return error_; }

    bool fail(std::string reason) {
        if (error_.empty()) error_ = std::move(reason);
        return false;
    }

    bool expectSpace() {
        if (atEnd() || peek() != ' ') return fail("expected a space");
        ++pos_;
        return true;
    }

    // A tag or command name: atom characters without '+' / brackets.
    bool readWord(std::string& out, const char* what) {
        const size_t start = pos_;
        while (!atEnd() && isAtomChar(peek()) && peek() != '+' && peek() != '[' && peek() != ']' &&
               peek() != '%' && peek() != '*')
            ++pos_;
        if (pos_ == start) return fail(std::string("missing ") + what);
        out.assign(text_.substr(start, pos_ - start));
        return true;
    }

    bool readValue(ImapValue& value, size_t depth) {
        if (++items_ > limits_.maxItems) return fail("too many items in the command");
        if (atEnd()) return fail("unexpected end of command");
        const char c = peek();
        if (c == '(') return readList(value, depth);
        if (c == '"') return readQuoted(value);
        if (c == '{') return readLiteral(value);
        return readAtom(value);
    }

    // Values separated by single spaces up to the end (depth 0) or to ')' .
    bool readValues(std::vector<ImapValue>& values, size_t depth) {
        while (!atEnd() && peek() != ')') {
            ImapValue value;
            if (!readValue(value, depth)) return false;
            values.push_back(std::move(value));
            if (atEnd() || peek() == ')') break;
            if (!expectSpace()) return false;
            if (!atEnd() && peek() == ')') return fail("space before ')'");
        }
        return true;
    }

  private:
    bool readList(ImapValue& value, size_t depth) {
        if (depth + 1 > limits_.maxDepth) return fail("lists nested too deeply");
        ++pos_;  // '('
        value.kind = ImapValue::Kind::List;
        if (!readValues(value.items, depth + 1)) return false;
        if (atEnd()) return fail("missing ')'");
        ++pos_;
        return true;
    }

    bool readQuoted(ImapValue& value) {
        ++pos_;  // '"'
        value.kind = ImapValue::Kind::String;
        while (true) {
            if (atEnd()) return fail("unterminated quoted string");
            char c = text_[pos_++];
            if (c == '"') return true;
            if (c == '\r' || c == '\n' || c == '\0') return fail("line break in quoted string");
            if (c == '\\') {
                if (atEnd()) return fail("unterminated quoted string");
                c = text_[pos_++];
                if (c != '"' && c != '\\') return fail("invalid escape in quoted string");
            }
            value.text.push_back(c);
        }
    }

    bool readLiteral(ImapValue& value) {
        const size_t close = text_.find('}', pos_);
        if (close == std::string_view::npos) return fail("invalid literal");
        const LiteralHeader header = literalAtEnd(text_.substr(pos_, close - pos_ + 1));
        if (!header.valid ||
            text_.substr(pos_, close - pos_ + 1).find('{', 1) != std::string_view::npos)
            return fail("invalid literal");
        pos_ = close + 1;
        if (text_.substr(pos_, 2) != "\r\n") return fail("literal not followed by CRLF");
        pos_ += 2;
        if (text_.size() - pos_ < header.size) return fail("literal shorter than announced");
        value.kind = ImapValue::Kind::String;
        value.text.assign(text_.substr(pos_, header.size));
        pos_ += header.size;
        return true;
    }

    bool readAtom(ImapValue& value) {
        const size_t start = pos_;
        int brackets = 0;
        while (!atEnd()) {
            const char c = peek();
            if (brackets > 0) {
                // Inside "[...]": section specs contain spaces and parentheses.
                const auto byte = static_cast<unsigned char>(c);
                if (c == '\r' || c == '\n' || byte < 0x20 || byte >= 0x7f)
                    return fail("invalid character in section");
                if (c == '[') return fail("nested '[' in section");
                if (c == ']') --brackets;
                ++pos_;
                continue;
            }
            if (c == '[') {
                ++brackets;
                ++pos_;
                continue;
            }
            if (!isAtomChar(c)) break;
            ++pos_;
        }
        if (brackets > 0) return fail("missing ']'");
        if (pos_ == start) {
            return fail(atEnd() ? "unexpected end of command" : "invalid character in command");
        }
        value.kind = ImapValue::Kind::Atom;
        value.text.assign(text_.substr(start, pos_ - start));
        return true;
    }

    std::string_view text_;
    ImapParseLimits limits_;
    size_t pos_ = 0;
    size_t items_ = 0;
    std::string error_;
};

}  // namespace

// ---- ImapCommandReader ----------------------------------------------------------------

ImapCommandReader::ImapCommandReader(const ImapReaderLimits& limits) : limits_(limits) {}

void ImapCommandReader::append(std::string_view bytes) { buffer_.append(bytes); }

void ImapCommandReader::clear() {
    buffer_.clear();
    scanFrom_ = 0;
    literalRemaining_ = 0;
    literalTotal_ = 0;
    skippingLine_ = false;
}

ImapCommandReader::Status ImapCommandReader::next(std::string& command) {
    while (true) {
        if (skippingLine_) {
            const size_t lf = buffer_.find('\n', scanFrom_);
            if (lf == std::string::npos) {
                buffer_.erase(scanFrom_);
                return Status::NeedMore;
            }
            buffer_.erase(0, lf + 1);
            scanFrom_ = 0;
            literalTotal_ = 0;
            skippingLine_ = false;
            continue;
        }
        if (literalRemaining_ > 0) {
            const size_t available = buffer_.size() - scanFrom_;
            if (available < literalRemaining_) return Status::NeedMore;
            scanFrom_ += literalRemaining_;
            literalRemaining_ = 0;
        }
        const size_t lf = buffer_.find('\n', scanFrom_);
        if (lf == std::string::npos) {
            if (buffer_.size() - scanFrom_ > limits_.maxLineBytes) {
                // Drop the current command; keep dropping up to the line's end.
                buffer_.erase(0, buffer_.size());
                scanFrom_ = 0;
                skippingLine_ = true;
                return Status::LineTooLong;
            }
            return Status::NeedMore;
        }
        if (lf - scanFrom_ > limits_.maxLineBytes) {
            buffer_.erase(0, lf + 1);
            scanFrom_ = 0;
            literalTotal_ = 0;
            return Status::LineTooLong;
        }
        const size_t lineEnd = (lf > scanFrom_ && buffer_[lf - 1] == '\r') ? lf - 1 : lf;
        const LiteralHeader literal =
            literalAtEnd(std::string_view(buffer_).substr(scanFrom_, lineEnd - scanFrom_));
        if (literal.valid) {
            lastLiteralSync_ = literal.synchronising;
            if (literal.size > limits_.maxLiteralBytes ||
                literalTotal_ + literal.size > limits_.maxLiteralBytes) {
                command.assign(buffer_, 0, lineEnd);
                buffer_.erase(0, lf + 1);
                scanFrom_ = 0;
                literalTotal_ = 0;
                return Status::LiteralTooLarge;
            }
            literalTotal_ += literal.size;
            literalRemaining_ = literal.size;
            scanFrom_ = lf + 1;
            if (literal.synchronising) return Status::Continuation;
            continue;
        }
        command.assign(buffer_, 0, lineEnd);
        buffer_.erase(0, lf + 1);
        scanFrom_ = 0;
        literalTotal_ = 0;
        return Status::Command;
    }
}

// ---- Parsing --------------------------------------------------------------------------

bool ImapValue::isNil() const { return kind == Kind::Atom && imapEqualsIgnoreCase(text, "NIL"); }

std::string imapUpper(std::string_view text) {
    std::string upper(text);
    for (char& c : upper) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return upper;
}

bool imapEqualsIgnoreCase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && imapUpper(a) == imapUpper(b);
}

ImapParseResult parseImapCommand(std::string_view text, const ImapParseLimits& limits) {
    ImapParseResult result;
    Tokenizer tokens(text, limits);
    std::string tag;
    if (!tokens.readWord(tag, "tag")) {
        result.error = "missing or invalid tag";
        return result;
    }
    result.tag = tag;
    ImapCommand command;
    command.tag = tag;
    std::string name;
    if (!tokens.expectSpace() || !tokens.readWord(name, "command name")) {
        result.error = "missing command name";
        return result;
    }
    command.name = imapUpper(name);
    if (!tokens.atEnd()) {
        if (!tokens.expectSpace() || !tokens.readValues(command.args, 0)) {
            result.error = tokens.error();
            return result;
        }
        if (!tokens.atEnd()) {
            result.error = "unexpected ')'";
            return result;
        }
    }
    result.command = std::move(command);
    return result;
}

// ---- Sequence sets --------------------------------------------------------------------

bool ImapSequenceSet::contains(int64_t number, int64_t largest) const {
    for (auto [first, last] : ranges) {
        if (first == kStar) first = largest;
        if (last == kStar) last = largest;
        if (first > last) std::swap(first, last);
        if (number >= first && number <= last) return true;
    }
    return false;
}

std::optional<ImapSequenceSet> parseImapSequenceSet(std::string_view text) {
    if (text.empty() || text.size() > 65536) return std::nullopt;
    ImapSequenceSet set;
    auto parseOne = [](std::string_view part) -> std::optional<int64_t> {
        if (part == "*") return ImapSequenceSet::kStar;
        const auto number = parseNumber(part, kMaxImapNumber);
        if (!number || *number == 0) return std::nullopt;
        return static_cast<int64_t>(*number);
    };
    size_t start = 0;
    while (start <= text.size()) {
        size_t comma = text.find(',', start);
        if (comma == std::string_view::npos) comma = text.size();
        const std::string_view range = text.substr(start, comma - start);
        const size_t colon = range.find(':');
        std::optional<int64_t> first;
        std::optional<int64_t> last;
        if (colon == std::string_view::npos) {
            first = last = parseOne(range);
        } else {
            first = parseOne(range.substr(0, colon));
            last = parseOne(range.substr(colon + 1));
        }
        if (!first || !last) return std::nullopt;
        set.ranges.emplace_back(*first, *last);
        if (comma == text.size()) break;
        start = comma + 1;
    }
    return set;
}

// ---- FETCH attributes -----------------------------------------------------------------

std::string ImapSection::label() const {
    std::string label;
    for (size_t i = 0; i < part.size(); ++i) {
        if (i > 0) label += '.';
        label += std::to_string(part[i]);
    }
    auto add = [&](const char* keyword) {
        if (!label.empty()) label += '.';
        label += keyword;
    };
    switch (text) {
        case Text::Full:
            break;
        case Text::Header:
            add("HEADER");
            break;
        case Text::Text:
            add("TEXT");
            break;
        case Text::Mime:
            add("MIME");
            break;
        case Text::HeaderFields:
        case Text::HeaderFieldsNot: {
            add(text == Text::HeaderFields ? "HEADER.FIELDS" : "HEADER.FIELDS.NOT");
            label += " (";
            for (size_t i = 0; i < fields.size(); ++i) {
                if (i > 0) label += ' ';
                label += fields[i];
            }
            label += ')';
            break;
        }
    }
    return label;
}

namespace {

constexpr size_t kMaxSectionParts = 32;
constexpr size_t kMaxHeaderFields = 100;

bool parseSection(std::string_view spec, ImapSection& section, std::string& error) {
    // Part numbers first: "1.2." ...
    size_t pos = 0;
    while (pos < spec.size() && isDigit(spec[pos])) {
        size_t end = pos;
        while (end < spec.size() && isDigit(spec[end])) ++end;
        const auto number = parseNumber(spec.substr(pos, end - pos), 1000000);
        if (!number || *number == 0) {
            error = "invalid section part number";
            return false;
        }
        if (section.part.size() >= kMaxSectionParts) {
            error = "section nested too deeply";
            return false;
        }
        section.part.push_back(static_cast<int>(*number));
        pos = end;
        if (pos < spec.size()) {
            if (spec[pos] != '.') {
                error = "invalid section";
                return false;
            }
            ++pos;
            if (pos == spec.size()) {
                error = "invalid section";
                return false;
            }
        }
    }
    std::string_view rest = spec.substr(pos);
    if (rest.empty()) return true;
    const size_t space = rest.find(' ');
    const std::string keyword = imapUpper(rest.substr(0, space));
    if (keyword == "HEADER")
        section.text = ImapSection::Text::Header;
    else if (keyword == "TEXT")
        section.text = ImapSection::Text::Text;
    else if (keyword == "MIME" && !section.part.empty())
        section.text = ImapSection::Text::Mime;
    else if (keyword == "HEADER.FIELDS")
        section.text = ImapSection::Text::HeaderFields;
    else if (keyword == "HEADER.FIELDS.NOT")
        section.text = ImapSection::Text::HeaderFieldsNot;
    else {
        error =
            "unknown section '" + std::string(rest.substr(0, std::min<size_t>(space, 40))) + "'";
        return false;
    }
    const bool wantsFields = section.text == ImapSection::Text::HeaderFields ||
                             section.text == ImapSection::Text::HeaderFieldsNot;
    if (!wantsFields) {
        if (space != std::string_view::npos) {
            error = "unexpected text after section";
            return false;
        }
        return true;
    }
    if (space == std::string_view::npos) {
        error = "HEADER.FIELDS needs a list of field names";
        return false;
    }
    ImapParseLimits limits;
    limits.maxDepth = 1;
    const std::string wrapped = "x y " + std::string(rest.substr(space + 1));
    const ImapParseResult parsed = parseImapCommand(wrapped, limits);
    if (!parsed.command || parsed.command->args.size() != 1 || !parsed.command->args[0].isList() ||
        parsed.command->args[0].items.empty() ||
        parsed.command->args[0].items.size() > kMaxHeaderFields) {
        error = "invalid header field list";
        return false;
    }
    for (const ImapValue& field : parsed.command->args[0].items) {
        if (!field.isAString() || field.text.empty()) {
            error = "invalid header field name";
            return false;
        }
        for (char c : field.text) {
            const auto byte = static_cast<unsigned char>(c);
            if (byte <= 0x20 || byte >= 0x7f || c == ':') {
                error = "invalid header field name";
                return false;
            }
        }
        section.fields.push_back(imapUpper(field.text));
    }
    return true;
}

bool parseFetchAtom(const std::string& text, std::vector<ImapFetchItem>& items,
                    std::string& error) {
    const size_t bracket = text.find('[');
    const std::string name = imapUpper(text.substr(0, bracket));
    ImapFetchItem item;
    using Kind = ImapFetchItem::Kind;
    if (bracket == std::string::npos) {
        if (name == "FLAGS")
            item.kind = Kind::Flags;
        else if (name == "UID")
            item.kind = Kind::Uid;
        else if (name == "INTERNALDATE")
            item.kind = Kind::InternalDate;
        else if (name == "RFC822.SIZE")
            item.kind = Kind::Rfc822Size;
        else if (name == "ENVELOPE")
            item.kind = Kind::Envelope;
        else if (name == "BODYSTRUCTURE")
            item.kind = Kind::BodyStructure;
        else if (name == "BODY")
            item.kind = Kind::Body;
        else if (name == "RFC822")
            item.kind = Kind::Rfc822;
        else if (name == "RFC822.HEADER")
            item.kind = Kind::Rfc822Header;
        else if (name == "RFC822.TEXT")
            item.kind = Kind::Rfc822Text;
        else {
            error = "unknown FETCH attribute '" + text.substr(0, 40) + "'";
            return false;
        }
        items.push_back(item);
        return true;
    }
    if (name != "BODY" && name != "BODY.PEEK") {
        error = "unknown FETCH attribute '" + text.substr(0, 40) + "'";
        return false;
    }
    item.kind = Kind::BodySection;
    item.peek = name == "BODY.PEEK";
    const size_t close = text.find(']', bracket);
    if (close == std::string::npos) {
        error = "missing ']'";
        return false;
    }
    if (!parseSection(std::string_view(text).substr(bracket + 1, close - bracket - 1), item.section,
                      error))
        return false;
    const std::string_view rest = std::string_view(text).substr(close + 1);
    if (!rest.empty()) {
        if (rest.front() != '<' || rest.back() != '>') {
            error = "invalid partial range";
            return false;
        }
        const std::string_view inside = rest.substr(1, rest.size() - 2);
        const size_t dot = inside.find('.');
        if (dot == std::string_view::npos) {
            error = "partial range needs <start.length>";
            return false;
        }
        const auto start = parseNumber(inside.substr(0, dot), kMaxImapNumber);
        const auto length = parseNumber(inside.substr(dot + 1), kMaxImapNumber);
        if (!start || !length || *length == 0) {
            error = "invalid partial range";
            return false;
        }
        item.partial.emplace(static_cast<uint32_t>(*start), static_cast<uint32_t>(*length));
    }
    items.push_back(std::move(item));
    return true;
}

}  // namespace

std::optional<std::vector<ImapFetchItem>> parseImapFetchItems(const ImapValue& value,
                                                              std::string& error) {
    using Kind = ImapFetchItem::Kind;
    std::vector<ImapFetchItem> items;
    auto plain = [](Kind kind) {
        ImapFetchItem item;
        item.kind = kind;
        return item;
    };
    if (value.isAtom()) {
        const std::string upper = imapUpper(value.text);
        if (upper == "ALL" || upper == "FAST" || upper == "FULL") {
            items = {plain(Kind::Flags), plain(Kind::InternalDate), plain(Kind::Rfc822Size)};
            if (upper != "FAST") items.push_back(plain(Kind::Envelope));
            if (upper == "FULL") items.push_back(plain(Kind::Body));
            return items;
        }
        if (!parseFetchAtom(value.text, items, error)) return std::nullopt;
        return items;
    }
    if (!value.isList() || value.items.empty()) {
        error = "invalid FETCH attribute list";
        return std::nullopt;
    }
    for (const ImapValue& item : value.items) {
        if (!item.isAtom()) {
            error = "invalid FETCH attribute";
            return std::nullopt;
        }
        if (!parseFetchAtom(item.text, items, error)) return std::nullopt;
    }
    return items;
}

}  // namespace faxgate::gateway
