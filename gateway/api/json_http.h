// Small helpers for the gateway's JSON-over-HTTP handlers: read a bounded body, parse it as a
// JSON object, and answer with JSON, errors included ({"error": "..."}), so every refusal a
// node or an admin gets is a status plus a reason in words.
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <cstddef>
#include <stdexcept>
#include <string>

namespace faxgate::gateway {

// Thrown by handlers; the router turns it into `status` with {"error": message}.
class HttpError : public std::runtime_error {
  public:
    HttpError(int status, const std::string& message)
        : std::runtime_error(message), status_(status) {}
    int status() const { return status_; }

  private:
    int status_;
};

// Reads the whole body; 413 if it is longer than maxBytes, 400 if it is not a JSON object.
Poco::JSON::Object::Ptr readJsonObject(Poco::Net::HTTPServerRequest& request, size_t maxBytes);

void sendJson(Poco::Net::HTTPServerResponse& response, int status, const Poco::JSON::Object& body);
void sendError(Poco::Net::HTTPServerResponse& response, int status, const std::string& message);

// The token of an "Authorization: Bearer <token>" header, or "".
std::string bearerToken(const Poco::Net::HTTPServerRequest& request);

// Typed field access with a 400 naming the field when it is missing or of the wrong type.
std::string requireString(const Poco::JSON::Object& object, const std::string& field);
int64_t requireInt(const Poco::JSON::Object& object, const std::string& field);
std::string optionalString(const Poco::JSON::Object& object, const std::string& field);
int64_t optionalInt(const Poco::JSON::Object& object, const std::string& field);
bool optionalBool(const Poco::JSON::Object& object, const std::string& field);

}  // namespace faxgate::gateway
