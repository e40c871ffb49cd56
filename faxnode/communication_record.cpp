// JSON form of communication records; see communication_record.h.
#include "faxnode/communication_record.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

namespace faxgate::node {

std::string toJson(const CommunicationRecord& record) {
    Poco::JSON::Object object(Poco::JSON_PRESERVE_KEY_ORDER);
    object.set("record_id", record.recordId);
    object.set("direction", record.direction);
    bool received = record.direction == "receive";
    if (!received) {
        object.set("job_id", record.jobId);
        object.set("attempt", record.attempt);
    }
    object.set("node_id", record.nodeId);
    object.set("line", record.line);
    if (received) {
        object.set("called_number", record.calledNumber);
        object.set("caller_number", record.callerNumber);
    }
    object.set("number", record.number);
    object.set("remote_csid", record.remoteCsid);
    object.set("pages", record.pages);
    object.set("pages_total", record.pagesTotal);
    object.set("duration_ms", record.durationMs);
    object.set("bit_rate", record.bitRate);
    object.set("ecm", record.ecm);
    object.set("result", record.result);
    object.set("reason", record.reason);
    object.set("started_ms", record.startedMs);
    object.set("ended_ms", record.endedMs);
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

std::optional<CommunicationRecord> parseCommunicationRecord(const std::string& json,
                                                            std::string& error) {
    try {
        Poco::JSON::Parser parser;
        Poco::Dynamic::Var parsed = parser.parse(json);
        Poco::JSON::Object::Ptr object = parsed.extract<Poco::JSON::Object::Ptr>();
        if (!object) {
            error = "not a JSON object";
            return std::nullopt;
        }
        CommunicationRecord record;
        record.recordId = object->getValue<std::string>("record_id");
        record.direction = object->getValue<std::string>("direction");
        if (record.direction == "receive") {
            record.calledNumber = object->getValue<std::string>("called_number");
            record.callerNumber = object->getValue<std::string>("caller_number");
        } else {
            record.jobId = object->getValue<int64_t>("job_id");
            record.attempt = object->getValue<int>("attempt");
        }
        record.nodeId = object->getValue<std::string>("node_id");
        record.line = object->getValue<std::string>("line");
        record.number = object->getValue<std::string>("number");
        record.remoteCsid = object->getValue<std::string>("remote_csid");
        record.pages = object->getValue<int>("pages");
        record.pagesTotal = object->getValue<int>("pages_total");
        record.durationMs = object->getValue<int64_t>("duration_ms");
        record.bitRate = object->getValue<int>("bit_rate");
        record.ecm = object->getValue<bool>("ecm");
        record.result = object->getValue<std::string>("result");
        record.reason = object->getValue<std::string>("reason");
        record.startedMs = object->getValue<int64_t>("started_ms");
        record.endedMs = object->getValue<int64_t>("ended_ms");
        if (record.recordId.empty()) {
            error = "record_id is empty";
            return std::nullopt;
        }
        return record;
    } catch (const Poco::Exception& e) {
        error = e.displayText();
    } catch (const std::exception& e) {
        error = e.what();
    }
    return std::nullopt;
}

}  // namespace faxgate::node
