// JSON request/response helpers; see json_http.h.
#include "gateway/api/json_http.h"

#include <Poco/JSON/Parser.h>

#include <istream>
#include <sstream>

namespace faxgate::gateway {

namespace {

// Answering 413 while the client is still sending makes the kernel reset the connection,
// and the client reads the reset instead of our answer. Reading (and dropping) what is left
// of a body up to this much lets the answer arrive; beyond it, the reset is the answer.
constexpr int64_t kMaxDrainBytes = 8 << 20;

[[noreturn]] void refuseOversize(std::istream& in, int64_t alreadyRead, size_t maxBytes) {
    char buffer[16384];
    int64_t drained = alreadyRead;
    while (drained < kMaxDrainBytes && (in.read(buffer, sizeof buffer) || in.gcount() > 0)) {
        drained += in.gcount();
    }
    throw HttpError(413, "request body larger than " + std::to_string(maxBytes) + " bytes");
}

}  // namespace

Poco::JSON::Object::Ptr readJsonObject(Poco::Net::HTTPServerRequest& request, size_t maxBytes) {
    if (request.hasContentLength() &&
        request.getContentLength64() > static_cast<int64_t>(maxBytes)) {
        refuseOversize(request.stream(), 0, maxBytes);
    }
    std::string body;
    std::istream& in = request.stream();
    char buffer[16384];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        body.append(buffer, static_cast<size_t>(in.gcount()));
        if (body.size() > maxBytes) refuseOversize(in, static_cast<int64_t>(body.size()), maxBytes);
    }
    try {
        Poco::JSON::Parser parser;
        Poco::Dynamic::Var parsed = parser.parse(body);
        if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) {
            throw HttpError(400, "the request body must be a JSON object");
        }
        return parsed.extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception& e) {
        throw HttpError(400, "the request body is not valid JSON: " + e.message());
    }
}

void sendJson(Poco::Net::HTTPServerResponse& response, int status, const Poco::JSON::Object& body) {
    std::ostringstream text;
    body.stringify(text);
    std::string data = text.str();
    response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    response.setContentType("application/json");
    response.setContentLength(static_cast<std::streamsize>(data.size()));
    response.send() << data;
}

void sendError(Poco::Net::HTTPServerResponse& response, int status, const std::string& message) {
    Poco::JSON::Object body;
    body.set("error", message);
    sendJson(response, status, body);
}

std::string bearerToken(const Poco::Net::HTTPServerRequest& request) {
    const std::string header = request.get("Authorization", "");
    const std::string prefix = "Bearer ";
    if (header.size() <= prefix.size() || header.compare(0, prefix.size(), prefix) != 0) return "";
    return header.substr(prefix.size());
}

std::string requireString(const Poco::JSON::Object& object, const std::string& field) {
    if (!object.has(field) || !object.get(field).isString()) {
        throw HttpError(400, "field '" + field + "' is missing or not a string");
    }
    return object.getValue<std::string>(field);
}

int64_t requireInt(const Poco::JSON::Object& object, const std::string& field) {
    if (!object.has(field) || !object.get(field).isInteger()) {
        throw HttpError(400, "field '" + field + "' is missing or not an integer");
    }
    return object.getValue<int64_t>(field);
}

std::string optionalString(const Poco::JSON::Object& object, const std::string& field) {
    if (!object.has(field) || object.isNull(field)) return "";
    if (!object.get(field).isString())
        throw HttpError(400, "field '" + field + "' is not a string");
    return object.getValue<std::string>(field);
}

int64_t optionalInt(const Poco::JSON::Object& object, const std::string& field) {
    if (!object.has(field) || object.isNull(field)) return 0;
    if (!object.get(field).isInteger())
        throw HttpError(400, "field '" + field + "' is not an integer");
    return object.getValue<int64_t>(field);
}

bool optionalBool(const Poco::JSON::Object& object, const std::string& field) {
    if (!object.has(field) || object.isNull(field)) return false;
    if (!object.get(field).isBoolean())
        throw HttpError(400, "field '" + field + "' is not a boolean");
    return object.getValue<bool>(field);
}

}  // namespace faxgate::gateway
