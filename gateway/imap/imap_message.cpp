// The MIME walker behind ENVELOPE, BODYSTRUCTURE and body sections. See imap_message.h.
#include "gateway/imap/imap_message.h"

#include <algorithm>

namespace faxgate::gateway {

struct ImapMessage::Part {
    struct Field {
        std::string name;   // as written
        size_t start = 0;   // first byte of the field's first line
        size_t end = 0;     // after the field's last line break
        std::string value;  // unfolded, trimmed
    };
    size_t start = 0;      // first header byte
    size_t bodyStart = 0;  // first body byte (after the blank line)
    size_t end = 0;        // after the last body byte
    std::vector<Field> fields;
    std::string type = "text";
    std::string subtype = "plain";
    std::vector<std::pair<std::string, std::string>> params;
    std::vector<std::unique_ptr<Part>> children;  // multipart: its parts
    std::unique_ptr<Part> embedded;               // message/rfc822: the message inside

    bool isMultipart() const { return type == "multipart"; }
    bool isMessage() const { return type == "message" && subtype == "rfc822"; }
    const Field* field(std::string_view name) const {
        for (const Field& f : fields) {
            if (imapEqualsIgnoreCase(f.name, name)) return &f;
        }
        return nullptr;
    }
    std::string value(std::string_view name) const {
        const Field* f = field(name);
        return f ? f->value : std::string();
    }
};

namespace {

using Part = ImapMessage::Part;

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                             text.back() == '\n'))
        text.remove_suffix(1);
    return text;
}

// "type/subtype; a=b; c="d"" -> type, subtype, params. Lenient: garbage gives text/plain.
void parseContentType(std::string_view value, std::string& type, std::string& subtype,
                      std::vector<std::pair<std::string, std::string>>& params) {
    size_t pos = value.find(';');
    const std::string_view media = trim(value.substr(0, pos));
    const size_t slash = media.find('/');
    if (slash != std::string_view::npos && slash > 0 && slash + 1 < media.size()) {
        type = lower(trim(media.substr(0, slash)));
        subtype = lower(trim(media.substr(slash + 1)));
    }
    while (pos != std::string_view::npos && pos < value.size() && params.size() < 50) {
        ++pos;  // ';'
        while (pos < value.size() && (value[pos] == ' ' || value[pos] == '\t')) ++pos;
        const size_t equals = value.find('=', pos);
        if (equals == std::string_view::npos) break;
        const std::string name(trim(value.substr(pos, equals - pos)));
        pos = equals + 1;
        while (pos < value.size() && (value[pos] == ' ' || value[pos] == '\t')) ++pos;
        std::string parameter;
        if (pos < value.size() && value[pos] == '"') {
            ++pos;
            while (pos < value.size() && value[pos] != '"') {
                if (value[pos] == '\\' && pos + 1 < value.size()) ++pos;
                parameter.push_back(value[pos++]);
            }
            pos = value.find(';', pos);
        } else {
            const size_t semicolon = value.find(';', pos);
            parameter = std::string(trim(value.substr(pos, semicolon - pos)));
            pos = semicolon;
        }
        if (!name.empty() && name.find_first_of(" \t\"") == std::string::npos)
            params.emplace_back(name, parameter);
    }
}

class Walker {
  public:
    explicit Walker(const std::string& data) : data_(data) {}

    std::unique_ptr<Part> parse(size_t start, size_t end, size_t depth, bool digest) {
        auto part = std::make_unique<Part>();
        ++parts_;
        part->start = start;
        part->end = end;
        readHeader(*part);
        if (digest) {
            part->type = "message";
            part->subtype = "rfc822";
        }
        if (const Part::Field* contentType = part->field("Content-Type")) {
            std::string type = part->type;
            std::string subtype = part->subtype;
            parseContentType(contentType->value, type, subtype, part->params);
            part->type = type;
            part->subtype = subtype;
        }
        if (depth >= kMaxImapMimeDepth || parts_ >= kMaxImapMimeParts) {
            if (part->isMultipart() || part->isMessage()) {
                part->type = "application";
                part->subtype = "octet-stream";
                part->params.clear();
            }
            return part;
        }
        if (part->isMultipart()) {
            splitMultipart(*part, depth);
        } else if (part->isMessage()) {
            part->embedded = parse(part->bodyStart, part->end, depth + 1, false);
        }
        return part;
    }

  private:
    void readHeader(Part& part) {
        size_t pos = part.start;
        while (pos < part.end) {
            size_t lf = data_.find('\n', pos);
            if (lf == std::string::npos || lf >= part.end) lf = part.end - 1;
            const size_t next = lf + 1;
            std::string_view line(data_.data() + pos, next - pos);
            if (trim(line).empty() && (line == "\r\n" || line == "\n")) {
                part.bodyStart = next;
                return;
            }
            if ((line[0] == ' ' || line[0] == '\t') && !part.fields.empty()) {
                part.fields.back().end = next;
                if (part.fields.back().value.size() < 65536) {
                    part.fields.back().value += ' ';
                    part.fields.back().value += trim(line);
                }
            } else {
                const size_t colon = line.find(':');
                if (colon != std::string_view::npos && colon > 0 && part.fields.size() < 1000) {
                    Part::Field field;
                    field.name = std::string(trim(line.substr(0, colon)));
                    field.start = pos;
                    field.end = next;
                    field.value = std::string(trim(line.substr(colon + 1)));
                    part.fields.push_back(std::move(field));
                }
            }
            pos = next;
        }
        part.bodyStart = part.end;  // all header, no body
    }

    void splitMultipart(Part& part, size_t depth) {
        std::string boundary;
        for (const auto& [name, value] : part.params) {
            if (imapEqualsIgnoreCase(name, "boundary")) boundary = value;
        }
        if (boundary.empty() || boundary.size() > 200) return;
        const std::string delimiter = "--" + boundary;
        const bool digest = part.subtype == "digest";
        // Line starts of delimiter lines within the body.
        size_t pos = part.bodyStart;
        size_t partStart = std::string::npos;
        while (pos < part.end) {
            size_t lf = data_.find('\n', pos);
            const size_t lineEnd = (lf == std::string::npos || lf >= part.end) ? part.end : lf + 1;
            if (data_.compare(pos, delimiter.size(), delimiter) == 0 &&
                pos + delimiter.size() <= part.end) {
                const std::string_view after = std::string_view(data_).substr(
                    pos + delimiter.size(), lineEnd - pos - delimiter.size());
                const bool closing = after.substr(0, 2) == "--";
                if (closing || trim(after).empty()) {
                    if (partStart != std::string::npos) {
                        // The line break before the delimiter belongs to the delimiter.
                        size_t partEnd = pos;
                        if (partEnd > partStart && data_[partEnd - 1] == '\n') --partEnd;
                        if (partEnd > partStart && data_[partEnd - 1] == '\r') --partEnd;
                        if (parts_ >= kMaxImapMimeParts) return;
                        part.children.push_back(parse(partStart, partEnd, depth + 1, digest));
                    }
                    if (closing) return;
                    partStart = lineEnd;
                }
            }
            pos = lineEnd;
        }
        if (partStart != std::string::npos && partStart < part.end && parts_ < kMaxImapMimeParts) {
            // No closing delimiter: the last part runs to the end.
            part.children.push_back(parse(partStart, part.end, depth + 1, digest));
        }
    }

    const std::string& data_;
    size_t parts_ = 0;
};

std::string quoteList(const std::vector<std::pair<std::string, std::string>>& params) {
    if (params.empty()) return "NIL";
    std::string out = "(";
    for (size_t i = 0; i < params.size(); ++i) {
        if (i > 0) out += ' ';
        out += imapString(imapUpper(params[i].first)) + " " + imapString(params[i].second);
    }
    return out + ")";
}

// One address list "A <a@b>, "C, D" <c@d>, e@f" -> ((name NIL mailbox host) ...) or NIL.
std::string addressList(std::string_view value) {
    std::vector<std::string_view> entries;
    int angle = 0;
    int paren = 0;
    bool quoted = false;
    size_t start = 0;
    for (size_t i = 0; i <= value.size(); ++i) {
        const char c = i < value.size() ? value[i] : ',';
        if (quoted) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                quoted = false;
            continue;
        }
        if (c == '"')
            quoted = true;
        else if (c == '<')
            ++angle;
        else if (c == '>' && angle > 0)
            --angle;
        else if (c == '(')
            ++paren;
        else if (c == ')' && paren > 0)
            --paren;
        else if ((c == ',' || c == ';') && angle == 0 && paren == 0) {
            entries.push_back(value.substr(start, i - start));
            start = i + 1;
        }
        if (entries.size() > 200) break;
    }
    std::string out;
    for (std::string_view entry : entries) {
        entry = trim(entry);
        // A group "name: a@b" -> drop the group name.
        const size_t colon = entry.find(':');
        if (colon != std::string_view::npos && entry.find('"') > colon && entry.find('<') > colon)
            entry = trim(entry.substr(colon + 1));
        if (entry.empty()) continue;
        std::string name;
        std::string address;
        const size_t open = entry.rfind('<');
        if (open != std::string_view::npos) {
            const size_t close = entry.find('>', open);
            address = std::string(
                trim(entry.substr(open + 1, close == std::string_view::npos ? std::string_view::npos
                                                                            : close - open - 1)));
            std::string_view display = trim(entry.substr(0, open));
            if (display.size() >= 2 && display.front() == '"' && display.back() == '"') {
                display = display.substr(1, display.size() - 2);
                for (size_t i = 0; i < display.size(); ++i) {
                    if (display[i] == '\\' && i + 1 < display.size()) ++i;
                    name.push_back(display[i]);
                }
            } else {
                name = std::string(display);
            }
        } else {
            // Bare address, maybe with a comment: "a@b (Name)".
            const size_t comment = entry.find('(');
            address = std::string(trim(entry.substr(0, comment)));
            if (comment != std::string_view::npos) {
                const size_t close = entry.rfind(')');
                if (close != std::string_view::npos && close > comment)
                    name = std::string(trim(entry.substr(comment + 1, close - comment - 1)));
            }
        }
        if (address.empty()) continue;
        const size_t at = address.rfind('@');
        const std::string mailbox = at == std::string::npos ? address : address.substr(0, at);
        const std::string host = at == std::string::npos ? std::string() : address.substr(at + 1);
        out += "(" + imapNString(name) + " NIL " + imapNString(mailbox) + " " + imapNString(host) +
               ")";
    }
    return out.empty() ? "NIL" : "(" + out + ")";
}

std::string envelopeOf(const Part& part) {
    const std::string from = addressList(part.value("From"));
    auto orFrom = [&](const char* name) {
        const std::string list = addressList(part.value(name));
        return list == "NIL" ? from : list;
    };
    return "(" + imapNString(part.value("Date")) + " " + imapNString(part.value("Subject")) + " " +
           from + " " + orFrom("Sender") + " " + orFrom("Reply-To") + " " +
           addressList(part.value("To")) + " " + addressList(part.value("Cc")) + " " +
           addressList(part.value("Bcc")) + " " + imapNString(part.value("In-Reply-To")) + " " +
           imapNString(part.value("Message-ID")) + ")";
}

std::string disposition(const Part& part) {
    const std::string value = part.value("Content-Disposition");
    if (value.empty()) return "NIL";
    std::string type;
    std::string unused;
    std::vector<std::pair<std::string, std::string>> params;
    // parseContentType wants type/subtype; give it a fake subtype to reuse its parameters.
    const size_t semicolon = value.find(';');
    const std::string head = std::string(trim(std::string_view(value).substr(0, semicolon)));
    const std::string rest = semicolon == std::string::npos ? "" : value.substr(semicolon);
    parseContentType("x/x" + rest, type, unused, params);
    if (head.empty()) return "NIL";
    return "(" + imapString(lower(head)) + " " + quoteList(params) + ")";
}

size_t countLines(std::string_view text) {
    // A last line without its line break (the one before a boundary) is a line too.
    const auto breaks = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
    return breaks + ((!text.empty() && text.back() != '\n') ? 1 : 0);
}

std::string structureOf(const std::string& data, const Part& part, bool extensible) {
    if (part.isMultipart() && !part.children.empty()) {
        std::string out = "(";
        for (const auto& child : part.children) out += structureOf(data, *child, extensible);
        out += " " + imapString(imapUpper(part.subtype));
        if (extensible) {
            out += " " + quoteList(part.params) + " " + disposition(part) + " " +
                   imapNString(part.value("Content-Language")) + " " +
                   imapNString(part.value("Content-Location"));
        }
        return out + ")";
    }
    std::string type = part.type;
    std::string subtype = part.subtype;
    auto params = part.params;
    if (part.isMultipart()) {
        // A multipart without parts cannot be described as one: call it what it is, bytes.
        type = "application";
        subtype = "octet-stream";
        params.clear();
    }
    if (type == "text" && params.empty()) params.emplace_back("charset", "us-ascii");
    const std::string_view body(data.data() + part.bodyStart, part.end - part.bodyStart);
    std::string encoding = part.value("Content-Transfer-Encoding");
    encoding = encoding.empty() ? "7BIT" : imapUpper(encoding);
    std::string out = "(" + imapString(imapUpper(type)) + " " + imapString(imapUpper(subtype)) +
                      " " + quoteList(params) + " " + imapNString(part.value("Content-ID")) + " " +
                      imapNString(part.value("Content-Description")) + " " + imapString(encoding) +
                      " " + std::to_string(body.size());
    if (part.isMessage() && part.embedded) {
        out += " " + envelopeOf(*part.embedded) + " " +
               structureOf(data, *part.embedded, extensible) + " " +
               std::to_string(countLines(body));
    } else if (type == "text") {
        out += " " + std::to_string(countLines(body));
    }
    if (extensible) {
        out += " " + imapNString(part.value("Content-MD5")) + " " + disposition(part) + " " +
               imapNString(part.value("Content-Language")) + " " +
               imapNString(part.value("Content-Location"));
    }
    return out + ")";
}

// Follows a part path (RFC 3501 6.4.5). `inMessage` is true while `current` stands for a
// whole message (the top level, or the inside of a message/rfc822 part).
const Part* resolve(const Part& root, const std::vector<int>& path) {
    const Part* current = &root;
    bool inMessage = true;
    for (int number : path) {
        if (current->isMessage() && !inMessage) {
            if (!current->embedded) return nullptr;
            current = current->embedded.get();
            inMessage = true;
        }
        if (current->isMultipart() && !current->children.empty()) {
            if (number < 1 || static_cast<size_t>(number) > current->children.size())
                return nullptr;
            current = current->children[static_cast<size_t>(number - 1)].get();
        } else if (number != 1) {
            return nullptr;
        }
        inMessage = false;
    }
    return current;
}

std::string headerFields(const std::string& data, const Part& part,
                         const std::vector<std::string>& names, bool matching) {
    std::string out;
    for (const Part::Field& field : part.fields) {
        const bool listed = std::any_of(names.begin(), names.end(), [&](const std::string& name) {
            return imapEqualsIgnoreCase(name, field.name);
        });
        if (listed == matching) out.append(data, field.start, field.end - field.start);
    }
    return out + "\r\n";
}

}  // namespace

std::string imapString(std::string_view text) {
    bool printable = text.size() <= 1024;
    for (char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte >= 0x7f) {
            printable = false;
            break;
        }
    }
    if (!printable) return "{" + std::to_string(text.size()) + "}\r\n" + std::string(text);
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string imapNString(std::string_view text) { return text.empty() ? "NIL" : imapString(text); }

ImapMessage::ImapMessage(std::string data) : data_(std::move(data)) {
    Walker walker(data_);
    root_ = walker.parse(0, data_.size(), 0, false);
}

ImapMessage::~ImapMessage() = default;

std::string ImapMessage::envelope() const { return envelopeOf(*root_); }

std::string ImapMessage::bodyStructure(bool extensible) const {
    return structureOf(data_, *root_, extensible);
}

std::string_view ImapMessage::header() const {
    return std::string_view(data_).substr(0, root_->bodyStart);
}

std::string_view ImapMessage::text() const {
    return std::string_view(data_).substr(root_->bodyStart);
}

std::string ImapMessage::headerValue(std::string_view name) const {
    std::string out;
    for (const Part::Field& field : root_->fields) {
        if (!imapEqualsIgnoreCase(field.name, name)) continue;
        if (!out.empty()) out += ", ";
        out += field.value;
    }
    return out;
}

std::string ImapMessage::section(const ImapSection& section) const {
    using Text = ImapSection::Text;
    if (section.part.empty()) {
        switch (section.text) {
            case Text::Full:
                return data_;
            case Text::Header:
                return std::string(header());
            case Text::Text:
                return std::string(text());
            case Text::HeaderFields:
                return headerFields(data_, *root_, section.fields, true);
            case Text::HeaderFieldsNot:
                return headerFields(data_, *root_, section.fields, false);
            case Text::Mime:
                return {};
        }
        return {};
    }
    const Part* part = resolve(*root_, section.part);
    if (part == nullptr) return {};
    switch (section.text) {
        case Text::Full:
            // Part 1 of a single-part message is its body; any part's content is its body.
            return data_.substr(part->bodyStart, part->end - part->bodyStart);
        case Text::Mime:
            return data_.substr(part->start, part->bodyStart - part->start);
        default:
            break;
    }
    // HEADER / TEXT / HEADER.FIELDS of a part apply to the message inside message/rfc822.
    if (!part->isMessage() || !part->embedded) return {};
    const Part& inner = *part->embedded;
    switch (section.text) {
        case Text::Header:
            return data_.substr(inner.start, inner.bodyStart - inner.start);
        case Text::Text:
            return data_.substr(inner.bodyStart, inner.end - inner.bodyStart);
        case Text::HeaderFields:
            return headerFields(data_, inner, section.fields, true);
        case Text::HeaderFieldsNot:
            return headerFields(data_, inner, section.fields, false);
        default:
            return {};
    }
}

}  // namespace faxgate::gateway
