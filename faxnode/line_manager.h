// The node's line manager: owns the fax lines, decides which line takes a job, runs each call
// on a thread of its own and turns its result into a communication record. It is the one
// place that knows whether a line is idle, so it is also what the heartbeat reports.
//
// Dispatch is idempotent: a job ID + attempt that is running, or that finished among the
// last `recentCallsKept` calls, is reported as a duplicate and never dialled twice (the
// gateway may repeat a PUT whose answer it did not get).
//
// Order at the end of a call (docs/node-protocol.md): the record is written to the spool
// first, and only then is the line marked idle. A crash in between leaves a record and a busy
// line in a dead process; never an idle line and a lost record. The same holds for inbound
// calls: the manager is the lines' InboundSink; an idle line that rings becomes "receiving"
// (no job is given to it), and its image and reception record are spooled before it is idle.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "faxnode/lines/line.h"
#include "faxnode/record_spool.h"

namespace faxgate::node {

enum class LineState { Idle, Sending, Receiving, Down };
// "idle", "sending", "receiving", "down": the protocol's words
const char* toString(LineState state);

struct LineStatus {
    std::string lineId;
    LineState state = LineState::Idle;
    int64_t jobId = 0;  // 0 unless sending
    int attempt = 0;
    std::string number;   // the number being dialled, or the caller's; empty when idle
    int64_t sinceMs = 0;  // when the line entered this state
};

// A job as the gateway dispatched it, with its pages already decoded.
struct JobRequest {
    int64_t jobId = 0;
    int attempt = 0;
    std::string number;
    std::string resolution;  // "fine" or "normal"
    int pagesTotal = 0;
    std::string tiffBytes;
};

enum class StartOutcome {
    Started,        // a line is dialling (HTTP 202)
    Duplicate,      // this job ID + attempt is running or finished recently (200)
    NoIdleLine,     // every line is busy or down (409)
    OtherAttempt,   // another attempt of this job is still running (409)
    ShuttingDown,   // the node is stopping (503)
    StorageFailed,  // the pages could not be written to the spool (500)
};

struct StartResult {
    StartOutcome outcome = StartOutcome::NoIdleLine;
    std::string lineId;  // the line that took (or took earlier) the job, if any
    std::string reason;  // plain words for anything but Started
};

struct LineManagerOptions {
    std::string nodeId;             // goes into every record and record ID
    size_t recentCallsKept = 1000;  // finished calls remembered for duplicate detection
    int64_t recordRetryMs = 1000;   // wait between tries when the spool cannot be written
};

// Thread-safety: every public method may be called from any thread. One mutex guards the
// line table; it is never held while a driver runs, while files are written or while the
// state-change callback runs (the callback may call status()). The InboundSink methods run
// on the drivers' threads.
class LineManager : public InboundSink {
  public:
    // Called after every change of a line's state (from the thread that changed it).
    using StateChangeCallback = std::function<void()>;

    LineManager(LineManagerOptions options, std::vector<std::unique_ptr<Line>> lines,
                RecordSpool& spool, StateChangeCallback onStateChange);
    // Cancels calls still running and waits for them (see shutdown()).
    ~LineManager() override;

    LineManager(const LineManager&) = delete;
    LineManager& operator=(const LineManager&) = delete;

    // Picks an idle line and starts the call on its own thread, or says why not.
    StartResult tryStart(JobRequest job);

    // Asks the call of `jobId` to stop; its record will say "cancelled". Returns the line ID,
    // or an empty string when no call of that job is running.
    std::string cancel(int64_t jobId);

    // Lets the lines answer inbound calls (Line::startReceiving). Separate from the
    // constructor so the owner can finish wiring the state-change callback first. Throws
    // std::runtime_error naming the line if one cannot set up its receiving side.
    void startReceiving();

    // InboundSink, called by the lines' drivers.
    InboundAnswer incomingCall(const std::string& lineId, const std::string& callerNumber) override;
    void receptionEnded(const std::string& lineId, const ReceptionResult& result) override;

    // Every line, in configuration order.
    std::vector<LineStatus> status() const;

    // Refuses new jobs and calls, lets running calls (both ways) go on for up to `graceMs`,
    // then cancels the rest and waits until their records are spooled. Idempotent.
    void shutdown(int64_t graceMs);

  private:
    struct Slot {
        std::unique_ptr<Line> line;
        LineState state = LineState::Idle;
        int64_t jobId = 0;
        int attempt = 0;
        std::string number;
        int64_t sinceMs = 0;
        std::atomic<bool> cancel{false};
        std::thread worker;  // the current or last call; joined before the next one
    };
    using CallKey = std::pair<int64_t, int>;  // job ID, attempt

    void runCall(Slot& slot, OutboundCall call);
    CommunicationRecord makeRecord(const Slot& slot, const OutboundCall& call,
                                   const CallResult& result);
    CommunicationRecord makeInboundRecord(const Slot& slot, const ReceptionResult& result);
    // The fields every record has, from a call's or a reception's result (same field names).
    template <typename Result>
    CommunicationRecord baseRecord(const Slot& slot, const char* direction, const Result& result);
    // Runs `save` until it succeeds; meanwhile the line is "down". Gives up at shutdown.
    void spoolWithRetry(Slot& slot, const CommunicationRecord& record,
                        const std::function<void()>& save);
    Slot* findSlot(const std::string& lineId) const;  // REQUIRES mutex_
    void markIdle(Slot& slot);                        // REQUIRES mutex_
    void notifyStateChange();

    const LineManagerOptions options_;
    RecordSpool& spool_;
    const StateChangeCallback onStateChange_;

    mutable std::mutex mutex_;
    std::condition_variable lineFreed_;          // signalled when a call ends
    std::vector<std::unique_ptr<Slot>> slots_;   // REQUIRES mutex_ for the state fields
    std::map<CallKey, std::string> knownCalls_;  // running + recent calls -> line ID
    std::deque<CallKey> recentCalls_;            // finished, oldest first
    bool stopping_ = false;
    bool receiving_ = false;  // startReceiving() ran and shutdown() has not stopped the lines
    std::atomic<uint64_t> recordSequence_{0};
};

}  // namespace faxgate::node
