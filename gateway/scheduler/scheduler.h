// The scheduler: hands queued jobs to free fax lines and applies the retry policy to what
// comes back. It is event-driven: a pass runs when something changed (jobs queued, a line
// freed, a node came online, a result arrived) or when the next retry time is reached; there
// is no polling interval.
//
// Seams: NodeLink (gateway/nodes) tells node states and carries a job to a node; the Store
// keeps every state change durable before the scheduler acts on it. When every job of a
// submission is final, onSubmissionFinished is called (the result mail goes out).
//
// Threading: one thread runs the passes (start/stop). recordReceived, cancelJob, wake and
// submissionReady may be called from any thread. mutex_ guards the in-memory job table;
// wakeMutex_ only the wake flag, so wake() never waits for a pass (a node's heartbeat can
// arrive while a pass is talking to that node).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gateway/scheduler/node_choice.h"
#include "gateway/scheduler/retry_policy.h"
#include "gateway/store/store.h"

namespace faxgate::gateway {

enum class DispatchResult {
    Accepted,     // a line on the node is dialling (or already was: duplicate)
    Busy,         // the node has no idle line after all: try the next node
    Unreachable,  // connection failed or the node has no session: try the next node
    Refused,      // the node refused this job (bad request): the attempt fails
};

struct DispatchOutcome {
    DispatchResult result = DispatchResult::Unreachable;
    std::string line;
    std::string reason;
};

class NodeLink {
  public:
    virtual ~NodeLink() = default;
    virtual std::map<std::string, NodeStatus> nodeStatuses() = 0;
    virtual DispatchOutcome dispatch(const Node& node, const Job& job, int attempt,
                                     const std::string& tiff) = 0;
    // Asks the node to abort the call; its record (result "cancelled") follows.
    virtual bool cancel(const Node& node, int64_t jobId) = 0;
};

struct SchedulerOptions {
    // Calls to the same number at the same time, across all nodes. 1 keeps a broadcast
    // from dialling one destination on two lines.
    int maxCallsPerDestination = 1;
    // A dispatched job whose node never reports a result is given up as failed after this
    // long (the node died with the call), and retried by the policy.
    int64_t attemptTimeoutMs = 2 * 3600 * 1000;
    // Retry policy used when a job's node is unknown (e.g. deleted).
    RetryPolicy defaultRetry;
};

// What the scheduler did with a record posted by a node.
enum class RecordDisposition { Applied, Duplicate, Unmatched };

class Scheduler {
  public:
    using Clock = std::function<int64_t()>;
    using SubmissionFinished = std::function<void(int64_t submissionId)>;

    Scheduler(Store& store, NodeLink& nodes, SchedulerOptions options,
              SubmissionFinished onSubmissionFinished, Clock clock);
    ~Scheduler();
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    // Loads the active jobs from the store and starts the pass thread.
    void start();
    void stop();

    // Called (without the scheduler's lock) after a failed call put a job back in the queue,
    // for the optional "requeued" notice to the sender. Set once before start().
    void setOnJobRequeued(std::function<void(const Job&)> onJobRequeued) {
        onJobRequeued_ = std::move(onJobRequeued);
    }

    // Something changed outside: run a pass soon.
    void wake();
    // The submission's document is stored and its jobs are Queued.
    void submissionReady(int64_t submissionId);
    // A node posted a communication record (already validated). Stores it and updates the job.
    RecordDisposition recordReceived(const CommunicationRecord& record);
    // Cancels a job that is not final. Returns false if it is unknown or already final.
    bool cancelJob(int64_t jobId);
    // Puts a Failed or Cancelled job back in the queue (the admin's "retry"): dials, connected
    // tries and sent pages start again from zero and the kill time runs anew from now.
    // Returns false if the job is unknown, not Failed/Cancelled, or its document was never
    // made (a failed conversion).
    bool retryJob(int64_t jobId);

    // One pass: time-outs, then dispatch of every job that may go now. Returns the time of
    // the next timed event (0 if none). The pass thread calls this; tests call it directly.
    int64_t runPass();

  private:
    void loadActiveJobs();
    void dispatchJob(Job& job, std::map<std::string, NodeStatus>& statuses,
                     const std::vector<Node>& nodes, std::map<std::string, std::string>& ownerNodes,
                     std::map<std::string, int>& callsPerNumber);
    void finishJob(Job& job, const Attempt& attempt,
                   const std::optional<CommunicationRecord>& record);
    void checkSubmissionFinished(int64_t submissionId);
    RetryPolicy policyOf(const std::string& nodeId);
    void run();

    Store& store_;
    NodeLink& nodes_;
    const SchedulerOptions options_;
    const SubmissionFinished onSubmissionFinished_;
    const Clock clock_;
    std::function<void(const Job&)> onJobRequeued_;

    std::mutex mutex_;             // guards jobs_ and attemptCounts_
    std::map<int64_t, Job> jobs_;  // every job that is not final
    std::map<int64_t, int> attemptCounts_;

    std::mutex wakeMutex_;
    std::condition_variable wakeCondition_;
    bool wakeRequested_ = false;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace faxgate::gateway
