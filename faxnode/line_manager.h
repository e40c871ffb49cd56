// The node's line manager: owns the fax lines, decides which line takes a job, runs each call
// on a thread of its own and turns its result into a communication record. It is the one
// place that knows whether a line is idle, so it is also what the heartbeat reports.
//
// Lines and channels. The lines come from the node's settings (common/node_settings.h); a line
// with concurrency N has N channels, each with a driver instance of its own (Line carries one
// call at a time) built by the LineFactory. A channel carries one call, outbound or inbound;
// only channel 0's driver receives (Line::startReceiving), and jobs take the highest free
// channel first, so the receiving channel stays free as long as another one is.
//
// Changing the settings (applySettings, docs/settings.md "Push, apply, acknowledge"): every
// driver of a new or changed line is built first, so a driver that refuses its settings
// changes nothing. Then, under the lock: unchanged lines stay as they are; idle channels of a
// changed line get their new driver at once, busy ones when their call ends (the call keeps
// the driver, and so the settings, it started with); channels beyond a lowered concurrency,
// and every channel of a removed line, take no new call and go when idle; new lines start.
// Old drivers are stopped and new receivers started on one thread of the manager's (the
// switcher), never under the lock: a driver may be calling into the manager at that moment.
//
// Dispatch is idempotent: a job ID + attempt that is running, or that finished among the
// last `recentCallsKept` calls, is reported as a duplicate and never dialled twice (the
// gateway may repeat a PUT whose answer it did not get).
//
// Order at the end of a call (docs/node-protocol.md): the record is written to the spool
// first, and only then is the channel marked idle. A crash in between leaves a record and a
// busy line in a dead process; never an idle line and a lost record. The same holds for
// inbound calls: a channel whose driver rings becomes "receiving" (no job is given to it), and
// its image and reception record are spooled before it is idle.
#pragma once

#include <atomic>
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

#include "common/node_settings.h"
#include "faxnode/lines/line.h"
#include "faxnode/record_spool.h"

namespace faxgate::node {

enum class LineState { Idle, Sending, Receiving, Down };
// "idle", "sending", "receiving", "down": the protocol's words
const char* toString(LineState state);

// One channel: one call at most.
struct ChannelStatus {
    LineState state = LineState::Idle;
    int64_t jobId = 0;  // 0 unless sending
    int attempt = 0;
    std::string number;   // the number being dialled (as the job has it), or the caller's
    int64_t sinceMs = 0;  // when the channel entered this state
};

struct LineStatus {
    std::string lineId;
    // Idle while a channel can take a call; otherwise down if every channel is down, sending
    // if a channel sends, else receiving.
    LineState state = LineState::Idle;
    int calls = 0;        // calls in progress, both directions
    int concurrency = 1;  // calls the line carries at once (its settings)
    // The first call in progress (in channel order), for lines that carry one: 0/empty if none.
    int64_t jobId = 0;
    int attempt = 0;
    std::string number;
    int64_t sinceMs = 0;  // the latest state change of any of its channels
    std::vector<ChannelStatus> channels;
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
    NoIdleLine,     // every channel of every line is busy or down (409)
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

// Builds the driver of channel `channel` (0-based) of a line whose node is in `timeZone`.
// Throws std::exception with the reason if the driver refuses the settings.
using LineFactory = std::function<std::unique_ptr<Line>(const settings::LineSettings& line,
                                                        int channel, const std::string& timeZone)>;

// Thread-safety: every public method may be called from any thread. One mutex guards the
// line table; it is never held while a driver runs or is started or stopped, while files are
// written or while the state-change callback runs (the callback may call status()). The
// drivers' inbound calls arrive on their own threads through a sink per driver. applySettings()
// calls are serialised by a mutex of their own.
class LineManager {
  public:
    // Called after every change of a line's state (from the thread that changed it).
    using StateChangeCallback = std::function<void()>;

    // Starts with no line: applySettings() brings the first ones.
    LineManager(LineManagerOptions options, LineFactory factory, RecordSpool& spool,
                StateChangeCallback onStateChange);
    // Cancels calls still running and waits for them (see shutdown()).
    ~LineManager();

    LineManager(const LineManager&) = delete;
    LineManager& operator=(const LineManager&) = delete;

    // Makes the lines those of `settings` (lines and time zone; the rest is the gateway's), as
    // described at the top of this file. Returns "" once the new lines are in place (and their
    // receivers started, if receiving is on), or the reason nothing changed, starting with the
    // field's path ("lines[1]: ...").
    std::string applySettings(const settings::NodeSettings& settings);

    // Picks an idle channel and starts the call on its own thread, or says why not.
    StartResult tryStart(JobRequest job);

    // Asks the call of `jobId` to stop; its record will say "cancelled". Returns the line ID,
    // or an empty string when no call of that job is running.
    std::string cancel(int64_t jobId);

    // Lets the lines answer inbound calls (Line::startReceiving), now and for every line that
    // comes later. Separate from the constructor so the owner can finish wiring the
    // state-change callback first. Throws std::runtime_error naming the line if one cannot set
    // up its receiving side.
    void startReceiving();

    // Every line, in the order of the settings (lines removed but still in a call last).
    std::vector<LineStatus> status() const;

    // Refuses new jobs and calls, lets running calls (both ways) go on for up to `graceMs`,
    // then cancels the rest and waits until their records are spooled. Idempotent.
    void shutdown(int64_t graceMs);

  private:
    // How a driver reports inbound calls: one sink per driver instance, so the manager knows
    // which channel rings even while an old and a new driver of the same line exist.
    class DriverSink : public InboundSink {
      public:
        DriverSink(LineManager& manager, const Line* driver) : manager_(manager), driver_(driver) {}
        InboundAnswer incomingCall(const std::string& lineId,
                                   const std::string& callerNumber) override;
        void receptionEnded(const std::string& lineId, const ReceptionResult& result) override;

      private:
        LineManager& manager_;
        const Line* const driver_;
    };
    // A driver with the sink it reports inbound calls to (declared first: destroyed last).
    struct Driver {
        std::unique_ptr<DriverSink> sink;
        std::unique_ptr<Line> line;
    };
    struct LineEntry;
    struct Channel {
        LineEntry* entry = nullptr;
        Driver driver;
        Driver pending;         // replaces `driver` when the call in progress ends
        bool retiring = false;  // takes no new call; goes when idle
        LineState state = LineState::Idle;
        int64_t jobId = 0;
        int attempt = 0;
        std::string number;
        int64_t sinceMs = 0;
        std::atomic<bool> cancel{false};
        std::thread worker;  // the current or last call; joined before the next one
    };
    struct LineEntry {
        explicit LineEntry(std::string lineId) : id(std::move(lineId)) {}
        const std::string id;             // never changes, so it may be read without the lock
        settings::LineSettings settings;  // as applied
        std::string timeZone;             // as applied
        bool removed = false;             // not in the settings any more; goes when idle
        std::vector<std::unique_ptr<Channel>> channels;  // [0] receives
    };
    // Work for the switcher thread: drivers to stop and destroy, receivers to start.
    struct DriverChange {
        uint64_t id = 0;
        std::vector<Driver> retiredDrivers;
        std::vector<std::unique_ptr<Channel>> retiredChannels;
        std::vector<const Line*> receiversToStart;
        bool reportErrors = false;  // a waiter wants the start errors
    };
    using CallKey = std::pair<int64_t, int>;  // job ID, attempt

    Driver makeDriver(std::unique_ptr<Line> line);
    void runCall(Channel& channel, const OutboundCall& call);
    InboundAnswer incomingCall(const Line* driver, const std::string& lineId,
                               const std::string& callerNumber);
    void receptionEnded(const Line* driver, const std::string& lineId,
                        const ReceptionResult& result);
    CommunicationRecord makeRecord(const Channel& channel, const OutboundCall& call,
                                   const CallResult& result);
    CommunicationRecord makeInboundRecord(const Channel& channel, const ReceptionResult& result);
    // The fields every record has, from a call's or a reception's result (same field names).
    template <typename Result>
    CommunicationRecord baseRecord(const Channel& channel, const char* direction,
                                   const Result& result);
    // Runs `save` until it succeeds; meanwhile the channel is "down". Gives up at shutdown.
    void spoolWithRetry(Channel& channel, const CommunicationRecord& record,
                        const std::function<void()>& save);
    Channel* findChannel(const Line* driver) const;  // REQUIRES mutex_
    void markIdle(Channel& channel);                 // REQUIRES mutex_
    // After a call ended on `channel` (now idle): swaps in its pending driver, retires it or
    // its removed line, and queues what the switcher must do. REQUIRES mutex_
    void afterCallEnded(Channel& channel);
    // Moves channels that are retiring and idle (and removed lines without calls) into
    // `change`. REQUIRES mutex_
    void collectRetired(DriverChange& change);
    bool isReceiver(const Channel& channel) const;  // REQUIRES mutex_
    // Queues `change` for the switcher (unless it has nothing to do and not `always`);
    // returns its id, 0 if not queued. REQUIRES mutex_
    uint64_t queueChange(DriverChange change, bool always);
    // Waits until the switcher has done change `id`; returns its start errors if it was to
    // report them. Takes mutex_.
    std::vector<std::string> waitForChange(uint64_t id);
    void runSwitcher();
    void notifyStateChange();

    const LineManagerOptions options_;
    const LineFactory factory_;
    RecordSpool& spool_;
    const StateChangeCallback onStateChange_;

    std::mutex applyMutex_;  // one applySettings() at a time

    mutable std::mutex mutex_;
    std::condition_variable lineFreed_;              // signalled when a call ends
    std::vector<std::unique_ptr<LineEntry>> lines_;  // REQUIRES mutex_
    std::map<CallKey, std::string> knownCalls_;      // running + recent calls -> line ID
    std::deque<CallKey> recentCalls_;                // finished, oldest first
    bool stopping_ = false;
    bool receiving_ = false;  // startReceiving() ran and shutdown() has not stopped the lines
    bool applying_ = false;   // applySettings() runs: channels are only added/removed by it
    std::atomic<uint64_t> recordSequence_{0};

    // The switcher's queue. REQUIRES mutex_
    std::deque<DriverChange> changes_;
    uint64_t changesQueued_ = 0;
    uint64_t changesDone_ = 0;
    std::map<uint64_t, std::vector<std::string>> startErrors_;
    bool switcherStop_ = false;
    std::condition_variable changesChanged_;
    std::thread switcher_;
};

}  // namespace faxgate::node
