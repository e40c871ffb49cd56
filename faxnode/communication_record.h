// The node's communication record: one per finished call, in the JSON form of
// docs/node-protocol.md ("Communication records"). The same JSON text is what the spool
// keeps on disk and what the gateway link posts, so a record is encoded once, when the call
// ends, and never re-encoded. A reception ("direction": "receive") has no job and carries the
// called and caller numbers instead ("Received faxes" in the protocol).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace faxgate::node {

struct CommunicationRecord {
    std::string recordId;            // unique per node: "<node>-<ms>-<sequence>"
    std::string direction = "send";  // "send" or "receive"
    int64_t jobId = 0;               // send only
    int attempt = 0;                 // send only
    std::string nodeId;
    std::string line;
    std::string number;        // the remote number: as dialled, or the caller's on receive
    std::string calledNumber;  // receive only: the line's own number that was called
    std::string callerNumber;  // receive only: the caller's number; empty when withheld
    std::string remoteCsid;
    int pages = 0;  // confirmed pages
    int pagesTotal = 0;
    int64_t durationMs = 0;
    int bitRate = 0;
    bool ecm = false;
    std::string result;  // call_result / reception_result in lines/line.h
    std::string reason;
    int64_t startedMs = 0;
    int64_t endedMs = 0;
};

// One-line JSON object with the protocol's field names.
std::string toJson(const CommunicationRecord& record);

// Parses a record written by toJson(). Returns nullopt (and sets `error`) if the text is not
// such an object, e.g. a file damaged on disk.
std::optional<CommunicationRecord> parseCommunicationRecord(const std::string& json,
                                                            std::string& error);

}  // namespace faxgate::node
