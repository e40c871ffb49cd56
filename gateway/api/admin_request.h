// What every part of the admin API shares (admin_api.h routes to the parts): the request of
// one authenticated administrator (AdminCall), and the validation helpers whose refusals
// become `400 {"error": reason}` naming the field (HttpError, see json_http.h).
//
// Thread-safety: plain functions and a per-request value; nothing shared.
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gateway/store/store.h"

namespace faxgate::gateway::admin {

// Longest user or node ID the API accepts (also an SMTP/IMAP login name).
inline constexpr size_t kMaxIdBytes = 64;
inline constexpr size_t kMaxEmailBytes = 254;
inline constexpr size_t kMaxUrlBytes = 2048;
inline constexpr size_t kMinSecretBytes = 8;
inline constexpr size_t kMaxSecretBytes = 256;
// What the audit log and answers show instead of a secret.
inline constexpr const char* kMasked = "***";

// One request of an authenticated administrator, as the parts of the API see it.
struct AdminCall {
    Poco::Net::HTTPServerRequest& request;
    Poco::Net::HTTPServerResponse& response;
    std::vector<std::string> path;  // the segments after /api/v1
    std::string method;
    std::string user;     // the administrator
    std::string address;  // the client's IP address
    int64_t nowMs = 0;
    size_t maxRequestBytes = 0;

    // The request body as a JSON object (400 if it is not one, 413 if too large).
    Poco::JSON::Object::Ptr body() const;
    // An audit entry for a change this administrator makes now; also logs it (logger "admin").
    AuditEntry audit(const std::string& action, const std::string& target,
                     const Poco::JSON::Object& changes) const;
};

std::string stringify(const Poco::JSON::Object& object);
// Text from a request (an unknown ID) as it may appear in a message or log line: bounded to
// kMaxIdBytes and printable ASCII.
std::string forLog(const std::string& text);

[[noreturn]] void badRequest(const std::string& message);
[[noreturn]] void methodNotAllowed(const std::string& allowed);

void rejectUnknownFields(const Poco::JSON::Object& body, const std::set<std::string>& known);
void checkId(const std::string& field, const std::string& id);
void checkEmail(const std::string& email);
void checkPasswordText(const std::string& password);
void checkUrl(const std::string& url);
void checkSecret(const std::string& secret);
int64_t intInRange(const Poco::JSON::Object& body, const std::string& field, int64_t min,
                   int64_t max);
bool requireBool(const Poco::JSON::Object& body, const std::string& field);

using Query = std::map<std::string, std::string>;
// The query parameters; 400 for one not in `known` or a malformed query string.
Query queryOf(const Poco::Net::HTTPServerRequest& request, const std::set<std::string>& known);
int64_t queryInt(const Query& query, const std::string& name, int64_t min, int64_t max,
                 int64_t fallback);
// A positive integer path segment; 404 naming `what` otherwise.
int64_t pathId(const std::string& segment, const char* what);
std::vector<std::string> splitPath(const std::string& path);

}  // namespace faxgate::gateway::admin
