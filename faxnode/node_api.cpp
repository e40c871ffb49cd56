// The node's HTTP API without sockets; see node_api.h.
#include "faxnode/node_api.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <charconv>
#include <sstream>
#include <vector>

namespace faxgate::node {
namespace {

constexpr const char* kJobsPrefix = "/v1/jobs/";

// A 400 answer's reason, thrown inside the request parser.
class BadRequest : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

std::string stringify(const Poco::JSON::Object& object) {
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

ApiResponse error(int status, const std::string& text) { return {status, jsonError(text)}; }

bool parseJobId(const std::string& text, int64_t& jobId) {
    auto [end, problem] = std::from_chars(text.data(), text.data() + text.size(), jobId);
    return !text.empty() && problem == std::errc() && end == text.data() + text.size() && jobId > 0;
}

int64_t requireInteger(const Poco::JSON::Object& object, const std::string& key, int64_t min,
                       int64_t max) {
    if (!object.has(key)) throw BadRequest("field '" + key + "' is missing");
    Poco::Dynamic::Var value = object.get(key);
    if (!value.isInteger()) throw BadRequest("field '" + key + "' must be an integer");
    int64_t number = 0;
    try {
        number = value.convert<int64_t>();
    } catch (const Poco::Exception&) {
        throw BadRequest("field '" + key + "' is out of range");
    }
    if (number < min || number > max) {
        throw BadRequest("field '" + key + "' must be " + std::to_string(min) + ".." +
                         std::to_string(max) + ", got " + std::to_string(number));
    }
    return number;
}

std::string requireString(const Poco::JSON::Object& object, const std::string& key) {
    if (!object.has(key)) throw BadRequest("field '" + key + "' is missing");
    Poco::Dynamic::Var value = object.get(key);
    if (!value.isString()) throw BadRequest("field '" + key + "' must be a string");
    return value.extract<std::string>();
}

std::string decodeBase64(const std::string& text) {
    std::istringstream in(text);
    Poco::Base64Decoder decoder(in);
    std::string bytes;
    bytes.reserve(text.size() / 4 * 3);
    char buffer[65536];
    try {
        while (decoder) {
            decoder.read(buffer, sizeof buffer);
            bytes.append(buffer, static_cast<size_t>(decoder.gcount()));
        }
    } catch (const Poco::DataFormatException&) {
        throw BadRequest("field 'tiff_base64' is not valid base64");
    }
    if (decoder.bad()) throw BadRequest("field 'tiff_base64' is not valid base64");
    return bytes;
}

bool looksLikeTiff(const std::string& bytes) {
    return bytes.size() >= 8 && (bytes.compare(0, 4, std::string("II*\0", 4)) == 0 ||
                                 bytes.compare(0, 4, std::string("MM\0*", 4)) == 0);
}

}  // namespace

std::string jsonError(const std::string& text) {
    Poco::JSON::Object object;
    object.set("error", text);
    return stringify(object);
}

NodeApi::NodeApi(NodeApiOptions options, LineManager& lines, SettingsApplier& settings,
                 SessionCheck isCurrentSession)
    : options_(std::move(options)),
      lines_(lines),
      settings_(settings),
      isCurrentSession_(std::move(isCurrentSession)) {}

ApiResponse NodeApi::handle(const ApiRequest& request) {
    const std::string& path = request.path;
    bool isJobPath = path.rfind(kJobsPrefix, 0) == 0;
    bool isStatusPath = path == "/v1/status";
    bool isSettingsPath = path == "/v1/settings";
    if (!isJobPath && !isStatusPath && !isSettingsPath) {
        return error(404, "no such resource: " + path.substr(0, 200));
    }

    const std::string bearerPrefix = "Bearer ";
    if (request.authorization.rfind(bearerPrefix, 0) != 0 ||
        !isCurrentSession_(request.authorization.substr(bearerPrefix.size()))) {
        return error(401, "the bearer token is not the current gateway session");
    }

    if (isStatusPath) {
        if (request.method != "GET") return error(405, "/v1/status takes GET");
        return status();
    }
    if (isSettingsPath) {
        if (request.method != "PUT") return error(405, "/v1/settings takes PUT");
        return putSettings(request.body);
    }
    int64_t jobId = 0;
    if (!parseJobId(path.substr(std::string(kJobsPrefix).size()), jobId)) {
        return error(
            404, "no such resource: " + path.substr(0, 200) + " (a job ID is a positive integer)");
    }
    if (request.method == "PUT") return putJob(jobId, request.body);
    if (request.method == "DELETE") return deleteJob(jobId);
    return error(405, "/v1/jobs/{id} takes PUT or DELETE");
}

ApiResponse NodeApi::putJob(int64_t jobId, const std::string& body) {
    JobRequest job;
    try {
        Poco::JSON::Object::Ptr object;
        try {
            Poco::JSON::Parser parser;
            object = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
        } catch (const Poco::Exception& e) {
            throw BadRequest("the body is not a JSON object: " + e.displayText());
        }
        if (!object) throw BadRequest("the body is not a JSON object");
        job.jobId = requireInteger(*object, "job_id", 1, INT64_MAX);
        if (job.jobId != jobId) {
            throw BadRequest("job_id " + std::to_string(job.jobId) + " differs from the URL's " +
                             std::to_string(jobId));
        }
        job.attempt = static_cast<int>(requireInteger(*object, "attempt", 1, 1000000));
        job.number = requireString(*object, "number");
        bool validNumber = !job.number.empty() && job.number.size() <= options_.maxNumberLength;
        for (size_t i = 0; i < job.number.size() && validNumber; ++i) {
            char c = job.number[i];
            validNumber = (c >= '0' && c <= '9') || (c == '+' && i == 0 && job.number.size() > 1);
        }
        if (!validNumber) {
            throw BadRequest("field 'number' must be 1.." +
                             std::to_string(options_.maxNumberLength) +
                             " digits with an optional leading '+'");
        }
        // Optional: the document's own resolution tags are what a line sends by.
        if (object->has("resolution")) {
            job.resolution = requireString(*object, "resolution");
            if (job.resolution != "fine" && job.resolution != "normal") {
                throw BadRequest("field 'resolution' must be 'fine' or 'normal'");
            }
        }
        job.pagesTotal = static_cast<int>(requireInteger(*object, "pages", 1, options_.maxPages));
        std::string base64 = requireString(*object, "tiff_base64");
        object = nullptr;  // frees the parsed copy of the document early
        job.tiffBytes = decodeBase64(base64);
        if (!looksLikeTiff(job.tiffBytes)) {
            throw BadRequest("field 'tiff_base64' does not hold a TIFF file");
        }
    } catch (const BadRequest& e) {
        return error(400, e.what());
    }

    StartResult started = lines_.tryStart(std::move(job));
    Poco::JSON::Object answer;
    switch (started.outcome) {
        case StartOutcome::Started:
            answer.set("line", started.lineId);
            return {202, stringify(answer)};
        case StartOutcome::Duplicate:
            answer.set("line", started.lineId);
            answer.set("duplicate", true);
            return {200, stringify(answer)};
        case StartOutcome::NoIdleLine:
            return error(409, "no idle line");
        case StartOutcome::OtherAttempt:
            return error(409, started.reason);
        case StartOutcome::ShuttingDown:
            return error(503, started.reason);
        case StartOutcome::StorageFailed:
            return error(500, started.reason);
    }
    return error(500, "unexpected start outcome");
}

ApiResponse NodeApi::deleteJob(int64_t jobId) {
    std::string lineId = lines_.cancel(jobId);
    if (lineId.empty()) {
        return error(404, "job " + std::to_string(jobId) + " has no call in progress on this node");
    }
    Poco::JSON::Object answer;
    answer.set("line", lineId);
    answer.set("cancelling", true);
    return {202, stringify(answer)};
}

ApiResponse NodeApi::status() {
    Poco::JSON::Object answer(Poco::JSON_PRESERVE_KEY_ORDER);
    answer.set("node_id", options_.nodeId);
    answer.set("settings_version", settings_.appliedVersion());
    Poco::JSON::Array::Ptr lines = new Poco::JSON::Array;
    for (const LineStatus& status : lines_.status()) {
        Poco::JSON::Object::Ptr line = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        line->set("id", status.lineId);
        line->set("state", toString(status.state));
        line->set("calls", status.calls);
        line->set("concurrency", status.concurrency);
        if (status.jobId != 0) {
            line->set("job_id", status.jobId);
            line->set("attempt", status.attempt);
            line->set("number", status.number);
        }
        line->set("since_ms", status.sinceMs);
        Poco::JSON::Array::Ptr channels = new Poco::JSON::Array;
        for (const ChannelStatus& channelStatus : status.channels) {
            Poco::JSON::Object::Ptr channel = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
            channel->set("state", toString(channelStatus.state));
            if (channelStatus.jobId != 0) {
                channel->set("job_id", channelStatus.jobId);
                channel->set("attempt", channelStatus.attempt);
            }
            if (!channelStatus.number.empty()) channel->set("number", channelStatus.number);
            channel->set("since_ms", channelStatus.sinceMs);
            channels->add(channel);
        }
        line->set("channels", channels);
        lines->add(line);
    }
    answer.set("lines", lines);
    return {200, stringify(answer)};
}

ApiResponse NodeApi::putSettings(const std::string& body) {
    Poco::JSON::Object::Ptr object;
    try {
        Poco::JSON::Parser parser;
        Poco::Dynamic::Var parsed = parser.parse(body);
        if (parsed.type() == typeid(Poco::JSON::Object::Ptr)) {
            object = parsed.extract<Poco::JSON::Object::Ptr>();
        }
    } catch (const Poco::Exception& e) {
        return error(400, "the body is not a JSON object: " + e.displayText());
    }
    if (!object) return error(400, "the body is not a JSON object");
    // {"version": n, "settings": {...}}; every other field is a mistake.
    std::vector<std::string> names;
    object->getNames(names);
    for (const std::string& name : names) {
        if (name != "version" && name != "settings") return error(422, name + ": unknown field");
    }
    Poco::Dynamic::Var version = object->get("version");
    if (version.isEmpty()) return error(422, "version: required");
    int64_t versionNumber = -1;
    try {
        if (version.isInteger() && !version.isBoolean()) versionNumber = version.convert<int64_t>();
    } catch (const Poco::Exception&) {
    }
    if (versionNumber < 0) return error(422, "version: expected an integer >= 0");
    Poco::Dynamic::Var document = object->get("settings");
    if (document.isEmpty()) return error(422, "settings: required");
    if (document.type() != typeid(Poco::JSON::Object::Ptr)) {
        return error(422, "settings: expected an object");
    }
    std::ostringstream documentText;
    document.extract<Poco::JSON::Object::Ptr>()->stringify(documentText);

    SettingsResult result = settings_.apply(versionNumber, documentText.str());
    Poco::JSON::Object answer(Poco::JSON_PRESERVE_KEY_ORDER);
    switch (result.outcome) {
        case SettingsOutcome::Applied:
        case SettingsOutcome::AlreadyApplied:
            answer.set("applied_version", result.appliedVersion);
            return {200, stringify(answer)};
        case SettingsOutcome::Outdated:
            answer.set("error", result.error);
            answer.set("applied_version", result.appliedVersion);
            return {409, stringify(answer)};
        case SettingsOutcome::Invalid:
            return error(422, result.error);
        case SettingsOutcome::Failed:
            return error(500, result.error);
    }
    return error(500, "unexpected settings outcome");
}

}  // namespace faxgate::node
