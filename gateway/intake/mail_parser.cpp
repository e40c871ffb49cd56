// MIME walking and decoding of a submitted mail; see mail_parser.h for what is taken from it.
#include "gateway/intake/mail_parser.h"

#include <Poco/String.h>
#include <mimetic/codec/base64.h>
#include <mimetic/codec/code.h>
#include <mimetic/codec/qp.h>

#include <deque>
#include <iterator>
#include <new>
#include <stdexcept>
#include <utility>

#include "gateway/intake/charset.h"
#include "gateway/intake/header_fields.h"
#include "gateway/intake/html_text.h"

namespace faxgate::gateway {

namespace {

// A reason to refuse the mail; what() is the sentence for the sender. Internal: parseMail
// turns it into ParseOutcome::error.
class MailRefused : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// RFC 2046 caps boundaries at 70 characters; allow slack for sloppy mailers, but not so much
// that a boundary search becomes expensive.
constexpr size_t kMaxBoundaryBytes = 200;
// File systems and mail clients cap names at 255 bytes; longer names are cut.
constexpr size_t kMaxFileNameBytes = 255;

// ASCII only, whatever the process locale: header and tag names are ASCII.
std::string lowercase(std::string_view text) { return Poco::toLower(std::string(text)); }

std::string_view trimWhitespace(std::string_view text) {
    auto isSpace = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!text.empty() && isSpace(text.front())) text.remove_prefix(1);
    while (!text.empty() && isSpace(text.back())) text.remove_suffix(1);
    return text;
}

bool isBlank(std::string_view text) { return trimWhitespace(text).empty(); }

// One entity's header: fields in order, names lower-cased, values unfolded.
struct Header {
    std::vector<std::pair<std::string, std::string>> fields;

    // The first field of that (lower-case) name, or "" if there is none.
    std::string_view value(std::string_view name) const {
        for (const auto& [fieldName, fieldValue] : fields) {
            if (fieldName == name) return fieldValue;
        }
        return {};
    }
};

struct Entity {
    Header header;
    std::string_view body;  // points into the walked message (or a decoded forwarded mail)
};

bool isFieldNameCharacter(char c) { return c > 32 && c < 127 && c != ':'; }

// Splits an entity into header and body, refusing a header block over maxHeaderBytes before
// reading further. Lenient like mail clients: a line that is neither a field nor a
// continuation starts the body even without the empty line.
Entity splitEntity(std::string_view raw, size_t maxHeaderBytes) {
    Entity entity;
    size_t pos = 0;
    while (pos < raw.size()) {
        size_t newline = raw.find('\n', pos);
        size_t lineEnd = newline == std::string_view::npos ? raw.size() : newline;
        size_t next = newline == std::string_view::npos ? raw.size() : newline + 1;
        if (next > maxHeaderBytes) {
            throw MailRefused("a header of the mail is larger than " +
                              std::to_string(maxHeaderBytes) + " bytes");
        }
        std::string_view line = raw.substr(pos, lineEnd - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) {
            entity.body = raw.substr(next);
            return entity;
        }
        if (line.front() == ' ' || line.front() == '\t') {
            if (entity.header.fields.empty()) break;
            entity.header.fields.back().second.append(line);  // unfolding keeps the blank
        } else {
            size_t colon = line.find(':');
            if (colon == std::string_view::npos) break;
            std::string_view name = line.substr(0, colon);
            while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) {
                name.remove_suffix(1);
            }
            bool validName = !name.empty();
            for (char c : name) validName = validName && isFieldNameCharacter(c);
            if (!validName) break;
            entity.header.fields.emplace_back(lowercase(name),
                                              std::string(trimWhitespace(line.substr(colon + 1))));
        }
        pos = next;
    }
    entity.body = raw.substr(pos);
    return entity;
}

std::string normaliseLineEnds(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r') {
            out.push_back('\n');
            if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

// Without trailing blank lines and line-end spaces at the very end.
std::string trimTrailingBlankLines(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\t')) {
        text.pop_back();
    }
    return text;
}

bool isBase64Character(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

// Strict enough to catch a damaged body (mimetic's decoder silently skips anything it does
// not know): only the alphabet and line breaks, padding only at the end.
bool isValidBase64(std::string_view text) {
    size_t significant = 0;
    size_t padding = 0;
    for (char c : text) {
        if (c == '\r' || c == '\n' || c == ' ' || c == '\t') continue;
        if (c == '=') {
            if (++padding > 2) return false;
            continue;
        }
        if (padding > 0 || !isBase64Character(c)) return false;
        ++significant;
    }
    if (padding > 0 && (significant + padding) % 4 != 0) return false;
    return significant % 4 != 1;
}

struct PartDescription {
    std::string fileName;
    std::string contentType;

    // "attachment 'a.pdf'" or "an attachment (application/zip)" for messages to the sender.
    std::string forMessage(bool withType) const {
        if (fileName.empty()) return "an attachment (" + contentType + ")";
        std::string text = "attachment '" + fileName + "'";
        if (withType) text += " (" + contentType + ")";
        return text;
    }
};

std::string decodeBody(std::string_view body, std::string_view transferEncoding,
                       const PartDescription& part) {
    std::string mechanism = lowercase(
        trimWhitespace(transferEncoding.substr(0, transferEncoding.find_first_of(" \t(;"))));
    std::string decoded;
    if (mechanism.empty() || mechanism == "7bit" || mechanism == "8bit" || mechanism == "binary") {
        decoded.assign(body);
    } else if (mechanism == "base64") {
        if (!isValidBase64(body)) {
            throw MailRefused(part.forMessage(false) +
                              " is damaged: its base64 encoding is invalid");
        }
        mimetic::Base64::Decoder decoder;
        decoded.reserve(body.size() / 4 * 3);
        mimetic::decode(body.begin(), body.end(), decoder, std::back_inserter(decoded));
    } else if (mechanism == "quoted-printable") {
        mimetic::QP::Decoder decoder;
        decoded.reserve(body.size());
        mimetic::decode(body.begin(), body.end(), decoder, std::back_inserter(decoded));
    } else {
        throw MailRefused(part.forMessage(false) + " uses the transfer encoding '" + mechanism +
                          "', which the fax gateway cannot read");
    }
    return decoded;
}

// The name as a file name: decoded, without directories (a name is never a path here),
// without control characters, at most kMaxFileNameBytes bytes cut at a character boundary.
std::string cleanFileName(std::string_view raw) {
    std::string name = decodeEncodedWords(raw);
    size_t slash = name.find_last_of("/\\");
    if (slash != std::string::npos) name.erase(0, slash + 1);
    name = std::string(trimWhitespace(name));
    if (name.size() > kMaxFileNameBytes) {
        size_t cut = kMaxFileNameBytes;
        while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;
        name.resize(cut);
    }
    return name;
}

// Walks one mail. Invariant: entityCount_ <= limits_.maxParts and attachments_.size() <=
// limits_.maxAttachments at every step; a step that would break one throws MailRefused.
class MailWalker {
  public:
    explicit MailWalker(const IntakeLimits& limits) : limits_(limits) {}

    ParsedMail walk(std::string_view rawMessage) {
        ParsedMail mail;
        Entity top = enterEntity(rawMessage, 1);
        mail.subject = decodeEncodedWords(top.header.value("subject"));
        mail.from = decodeEncodedWords(top.header.value("from"));
        mail.messageId = std::string(top.header.value("message-id"));
        mail.date = std::string(top.header.value("date"));
        walkEntity(top, 1, false, "text/plain");

        std::string body = !ownText_.empty()         ? ownText_
                           : !ownHtml_.empty()       ? htmlToText(ownHtml_)
                           : !forwardedText_.empty() ? forwardedText_
                                                     : htmlToText(forwardedHtml_);
        body = trimTrailingBlankLines(std::move(body));
        if (isBlank(body)) body.clear();
        mail.bodyText = std::move(body);
        mail.attachments = std::move(attachments_);
        if (mail.bodyText.empty() && mail.attachments.empty()) {
            throw MailRefused("the mail has nothing to fax");
        }
        return mail;
    }

  private:
    // Counts an entity against the limits, then splits it.
    Entity enterEntity(std::string_view raw, size_t depth) {
        if (++entityCount_ > limits_.maxParts) {
            throw MailRefused("the mail has more than " + std::to_string(limits_.maxParts) +
                              " MIME parts");
        }
        if (depth > limits_.maxMimeDepth) {
            throw MailRefused("the mail is nested more than " +
                              std::to_string(limits_.maxMimeDepth) + " levels deep");
        }
        return splitEntity(raw, limits_.maxHeaderBytes);
    }

    static ParameterizedValue contentTypeOf(const Entity& entity, std::string_view defaultType) {
        ParameterizedValue type = parseParameterizedValue(entity.header.value("content-type"));
        if (type.value.find('/') == std::string::npos) type.value = std::string(defaultType);
        return type;
    }

    void walkEntity(const Entity& entity, size_t depth, bool forwarded,
                    std::string_view defaultType) {
        ParameterizedValue type = contentTypeOf(entity, defaultType);
        if (type.value.starts_with("multipart/")) {
            walkMultipart(entity, type, depth, forwarded);
        } else if (type.value == "message/rfc822" || type.value == "message/global") {
            walkForwardedMail(entity, type, depth);
        } else {
            takeLeaf(entity, type, forwarded);
        }
    }

    // The bodies between the delimiter lines "--boundary" of a multipart body; the preamble
    // and epilogue are dropped. A missing closing delimiter (a cut-off mail) ends the last
    // part at the end of the body, as mail clients do.
    std::vector<std::string_view> splitMultipart(std::string_view body,
                                                 const std::string& boundary) {
        const std::string delimiter = "--" + boundary;
        std::vector<std::string_view> parts;
        size_t partStart = std::string_view::npos;
        size_t search = 0;
        while (true) {
            size_t found = body.find(delimiter, search);
            if (found == std::string_view::npos) break;
            search = found + 1;
            if (found != 0 && body[found - 1] != '\n') continue;
            size_t after = found + delimiter.size();
            size_t lineEnd = body.find('\n', after);
            if (lineEnd == std::string_view::npos) lineEnd = body.size();
            std::string_view rest = body.substr(after, lineEnd - after);
            bool closing = rest.starts_with("--");
            if (!closing && !isBlank(rest)) continue;  // a longer boundary that starts the same
            if (partStart != std::string_view::npos) {
                // The line break before the delimiter belongs to the delimiter (RFC 2046).
                size_t partEnd = found;
                if (partEnd > partStart && body[partEnd - 1] == '\n') --partEnd;
                if (partEnd > partStart && body[partEnd - 1] == '\r') --partEnd;
                parts.push_back(body.substr(partStart, partEnd - partStart));
            }
            if (closing) return parts;
            if (entityCount_ + parts.size() + 1 > limits_.maxParts) {
                throw MailRefused("the mail has more than " + std::to_string(limits_.maxParts) +
                                  " MIME parts");
            }
            partStart = std::min(lineEnd + 1, body.size());
            search = partStart;
        }
        if (partStart != std::string_view::npos) parts.push_back(body.substr(partStart));
        return parts;
    }

    void walkMultipart(const Entity& entity, const ParameterizedValue& type, size_t depth,
                       bool forwarded) {
        auto boundary = type.parameters.find("boundary");
        if (boundary == type.parameters.end() || boundary->second.empty() ||
            boundary->second.size() > kMaxBoundaryBytes) {
            throw MailRefused("the mail is malformed: a multipart section has no valid boundary");
        }
        std::vector<std::string_view> parts = splitMultipart(entity.body, boundary->second);
        const bool digest = type.value == "multipart/digest";
        std::string_view childDefault = digest ? "message/rfc822" : "text/plain";

        if (type.value == "multipart/alternative" && !parts.empty()) {
            // The alternatives say the same thing: fax one of them. Plain text is what a fax
            // shows best; failing that the last (richest) renderable one, which for an HTML
            // mail is text/html or a multipart/related holding it.
            std::vector<Entity> children;
            children.reserve(parts.size());
            for (std::string_view part : parts) {
                children.push_back(splitEntity(part, limits_.maxHeaderBytes));
            }
            size_t chosen = children.size() - 1;
            bool foundPlain = false;
            for (size_t i = 0; i < children.size() && !foundPlain; ++i) {
                if (contentTypeOf(children[i], childDefault).value == "text/plain") {
                    chosen = i;
                    foundPlain = true;
                }
            }
            for (size_t i = children.size(); !foundPlain && i-- > 0;) {
                std::string value = contentTypeOf(children[i], childDefault).value;
                if (value == "text/html" || value.starts_with("multipart/")) {
                    chosen = i;
                    break;
                }
            }
            Entity child = enterEntity(parts[chosen], depth + 1);
            walkEntity(child, depth + 1, forwarded, childDefault);
            return;
        }
        for (std::string_view part : parts) {
            Entity child = enterEntity(part, depth + 1);
            walkEntity(child, depth + 1, forwarded, childDefault);
        }
    }

    void walkForwardedMail(const Entity& entity, const ParameterizedValue& type, size_t depth) {
        std::string_view inner = entity.body;
        std::string_view encoding = entity.header.value("content-transfer-encoding");
        if (!isBlank(encoding)) {
            // RFC 2046 forbids encoding message/rfc822, but some clients base64 it anyway.
            decodedMails_.push_back(
                decodeBody(entity.body, encoding, PartDescription{"", type.value}));
            inner = decodedMails_.back();
        }
        Entity mail = enterEntity(inner, depth + 1);
        walkEntity(mail, depth + 1, true, "text/plain");
    }

    void takeLeaf(const Entity& entity, const ParameterizedValue& type, bool forwarded) {
        ParameterizedValue disposition =
            parseParameterizedValue(entity.header.value("content-disposition"));
        std::string rawName;
        if (auto it = disposition.parameters.find("filename"); it != disposition.parameters.end()) {
            rawName = it->second;
        } else if (auto name = type.parameters.find("name"); name != type.parameters.end()) {
            rawName = name->second;
        }
        PartDescription part{cleanFileName(rawName), type.value};
        const bool isText = type.value.starts_with("text/");
        const bool isBodyType = type.value == "text/plain" || type.value == "text/html";
        const bool isAttachment =
            disposition.value == "attachment" || !part.fileName.empty() || !isBodyType;
        std::string charset;
        if (auto it = type.parameters.find("charset"); it != type.parameters.end()) {
            charset = it->second;
        }

        if (!isAttachment) {
            std::string data =
                decodeBody(entity.body, entity.header.value("content-transfer-encoding"), part);
            std::string text = normaliseLineEnds(toUtf8(data, charset));
            if (type.value == "text/plain") {
                std::string& target = forwarded ? forwardedText_ : ownText_;
                if (!isBlank(text)) {
                    if (!target.empty()) target += "\n\n";
                    target += trimTrailingBlankLines(std::move(text));
                }
            } else {
                std::string& target = forwarded ? forwardedHtml_ : ownHtml_;
                if (target.empty()) target = std::move(text);
            }
            return;
        }

        if (attachments_.size() >= limits_.maxAttachments) {
            throw MailRefused("the mail has more than " + std::to_string(limits_.maxAttachments) +
                              " attachments");
        }
        MailAttachment attachment;
        attachment.fileName = part.fileName;
        attachment.contentType = type.value;
        attachment.data =
            decodeBody(entity.body, entity.header.value("content-transfer-encoding"), part);
        if (attachment.data.empty()) throw MailRefused(part.forMessage(false) + " is empty");
        attachment.kind = sniffDocumentKind(attachment.data);
        if (attachment.kind == DocumentKind::Unknown) {
            if (!isText) {
                throw MailRefused(part.forMessage(true) +
                                  " is not a supported type: send PDF, TIFF, PNG, JPEG or "
                                  "PostScript");
            }
            std::string text = normaliseLineEnds(toUtf8(attachment.data, charset));
            if (type.value == "text/html") text = htmlToText(text);
            if (isBlank(text)) throw MailRefused(part.forMessage(false) + " is empty");
            attachment.data = std::move(text);
        }
        attachments_.push_back(std::move(attachment));
    }

    const IntakeLimits& limits_;
    size_t entityCount_ = 0;
    std::deque<std::string> decodedMails_;  // decoded forwarded mails that Entity views point to
    std::string ownText_;                   // text/plain body parts of the submitted mail itself
    std::string ownHtml_;                   // its first text/html body part
    std::string forwardedText_;             // the same for forwarded mails
    std::string forwardedHtml_;
    std::vector<MailAttachment> attachments_;
};

}  // namespace

ParseOutcome parseMail(std::string_view rawMessage, const IntakeLimits& limits) {
    ParseOutcome outcome;
    try {
        MailWalker walker(limits);
        outcome.mail = walker.walk(rawMessage);
    } catch (const MailRefused& refusal) {
        outcome.error = refusal.what();
    } catch (const std::bad_alloc&) {
        outcome.error = "the mail is too large for the fax gateway to process";
    } catch (const std::exception& e) {
        outcome.error = std::string("the mail could not be read: ") + e.what();
    } catch (...) {
        outcome.error = "the mail could not be read";
    }
    if (!outcome.error.empty()) outcome.mail.reset();
    return outcome;
}

}  // namespace faxgate::gateway
