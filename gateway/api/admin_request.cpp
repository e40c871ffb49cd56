// The admin API's shared request context and validation helpers; see admin_request.h.
#include "gateway/api/admin_request.h"

#include <Poco/Logger.h>
#include <Poco/URI.h>

#include <charconv>
#include <sstream>

#include "gateway/api/json_http.h"
#include "gateway/store/password_hash.h"

namespace faxgate::gateway::admin {

using Poco::JSON::Object;

Poco::JSON::Object::Ptr AdminCall::body() const { return readJsonObject(request, maxRequestBytes); }

AuditEntry AdminCall::audit(const std::string& action, const std::string& target,
                            const Object& changes) const {
    AuditEntry entry;
    entry.timeMs = nowMs;
    entry.adminUser = user;
    entry.clientAddress = address;
    entry.action = action;
    entry.target = target;
    entry.changes = stringify(changes);
    Poco::Logger::get("admin").information("admin %s from %s: %s %s %s", user, address, action,
                                           target, entry.changes);
    return entry;
}

std::string stringify(const Object& object) {
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

std::string forLog(const std::string& text) {
    std::string out;
    for (char c : text.substr(0, kMaxIdBytes)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
    return out;
}

// ---- Validation ---------------------------------------------------------------------------

void badRequest(const std::string& message) { throw HttpError(400, message); }

void rejectUnknownFields(const Object& body, const std::set<std::string>& known) {
    for (const auto& [name, value] : body) {
        if (!known.count(name)) badRequest("unknown field '" + name + "'");
    }
}

void checkId(const std::string& field, const std::string& id) {
    if (id.empty() || id.size() > kMaxIdBytes) {
        badRequest("field '" + field + "' must be 1 to " + std::to_string(kMaxIdBytes) +
                   " characters");
    }
    for (char c : id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '@';
        if (!ok) badRequest("field '" + field + "' may hold only letters, digits and . _ - @");
    }
}

void checkEmail(const std::string& email) {
    if (email.empty()) return;  // no result mails to an external address
    const size_t at = email.find('@');
    bool ok = email.size() <= kMaxEmailBytes && at != std::string::npos && at > 0 &&
              at + 1 < email.size() && email.find('@', at + 1) == std::string::npos;
    for (unsigned char c : email) ok = ok && c > 0x20 && c != 0x7f && c != '<' && c != '>';
    if (!ok) badRequest("field 'email' is not a mail address like user@example.com");
}

void checkPasswordText(const std::string& password) {
    if (password.empty()) badRequest("field 'password' must not be empty");
    if (password.size() > kMaxPasswordBytes) {
        badRequest("field 'password' is longer than " + std::to_string(kMaxPasswordBytes) +
                   " bytes");
    }
}

void checkUrl(const std::string& url) {
    bool ok = !url.empty() && url.size() <= kMaxUrlBytes;
    if (ok) {
        try {
            Poco::URI uri(url);
            ok =
                (uri.getScheme() == "http" || uri.getScheme() == "https") && !uri.getHost().empty();
        } catch (const Poco::Exception&) {
            ok = false;
        }
    }
    if (!ok) badRequest("field 'url' must be an http:// or https:// URL");
}

void checkSecret(const std::string& secret) {
    if (secret.size() < kMinSecretBytes || secret.size() > kMaxSecretBytes) {
        badRequest("field 'secret' must be " + std::to_string(kMinSecretBytes) + " to " +
                   std::to_string(kMaxSecretBytes) + " characters");
    }
}

int64_t intInRange(const Object& body, const std::string& field, int64_t min, int64_t max) {
    const int64_t value = requireInt(body, field);
    if (value < min || value > max) {
        badRequest("field '" + field + "' must be between " + std::to_string(min) + " and " +
                   std::to_string(max));
    }
    return value;
}

bool requireBool(const Object& body, const std::string& field) {
    if (!body.get(field).isBoolean()) badRequest("field '" + field + "' must be true or false");
    return body.getValue<bool>(field);
}

// ---- Query strings ----------------------------------------------------------------------

Query queryOf(const Poco::Net::HTTPServerRequest& request, const std::set<std::string>& known) {
    Query query;
    try {
        for (const auto& [name, value] : Poco::URI(request.getURI()).getQueryParameters()) {
            if (!known.count(name)) badRequest("unknown query parameter '" + name + "'");
            query[name] = value;
        }
    } catch (const Poco::SyntaxException& e) {
        badRequest("the query string is malformed: " + e.message());
    }
    return query;
}

int64_t queryInt(const Query& query, const std::string& name, int64_t min, int64_t max,
                 int64_t fallback) {
    auto it = query.find(name);
    if (it == query.end()) return fallback;
    int64_t value = 0;
    const std::string& text = it->second;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < min || value > max) {
        badRequest("query parameter '" + name + "' must be an integer between " +
                   std::to_string(min) + " and " + std::to_string(max));
    }
    return value;
}

int64_t pathId(const std::string& segment, const char* what) {
    int64_t value = 0;
    auto [end, error] = std::from_chars(segment.data(), segment.data() + segment.size(), value);
    if (error != std::errc() || end != segment.data() + segment.size() || value <= 0) {
        throw HttpError(404, std::string("no such ") + what + ": " + segment.substr(0, 32));
    }
    return value;
}

std::vector<std::string> splitPath(const std::string& path) {
    std::vector<std::string> segments;
    std::string segment;
    for (char c : path) {
        if (c == '/') {
            if (!segment.empty()) segments.push_back(segment);
            segment.clear();
        } else {
            segment += c;
        }
    }
    if (!segment.empty()) segments.push_back(segment);
    return segments;
}

void methodNotAllowed(const std::string& allowed) {
    throw HttpError(405, "this resource takes " + allowed);
}

}  // namespace faxgate::gateway::admin
