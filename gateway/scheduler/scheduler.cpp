// The scheduler's passes and result handling; see scheduler.h.
#include "gateway/scheduler/scheduler.h"

#include <Poco/Logger.h>

#include <algorithm>
#include <chrono>

namespace faxgate::gateway {

namespace {

Poco::Logger& logger() { return Poco::Logger::get("scheduler"); }

bool isActive(JobState state) {
    return state == JobState::Queued || state == JobState::RetryWait ||
           state == JobState::Dispatched;
}

}  // namespace

Scheduler::Scheduler(Store& store, NodeLink& nodes, SchedulerOptions options,
                     SubmissionFinished onSubmissionFinished, Clock clock)
    : store_(store),
      nodes_(nodes),
      options_(options),
      onSubmissionFinished_(std::move(onSubmissionFinished)),
      clock_(std::move(clock)) {
    loadActiveJobs();
}

Scheduler::~Scheduler() { stop(); }

void Scheduler::loadActiveJobs() {
    JobFilter filter;
    filter.activeOnly = true;
    filter.limit = 100000;  // the store's largest page; a queue that long is a site problem
    std::lock_guard lock(mutex_);
    for (Job& job : store_.listJobs(filter)) {
        if (!isActive(job.state)) continue;  // Converting: the conversion worker owns it
        attemptCounts_[job.id] = static_cast<int>(store_.attemptsOf(job.id).size());
        jobs_[job.id] = std::move(job);
    }
    logger().information("%z active jobs loaded", jobs_.size());
}

void Scheduler::start() {
    std::lock_guard lock(wakeMutex_);
    stopping_ = false;
    wakeRequested_ = true;
    thread_ = std::thread([this] { run(); });
}

void Scheduler::stop() {
    {
        std::lock_guard lock(wakeMutex_);
        stopping_ = true;
    }
    wakeCondition_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void Scheduler::wake() {
    {
        std::lock_guard lock(wakeMutex_);
        wakeRequested_ = true;
    }
    wakeCondition_.notify_all();
}

void Scheduler::run() {
    for (;;) {
        int64_t nextEventMs = 0;
        {
            std::unique_lock lock(wakeMutex_);
            if (stopping_) return;
            wakeRequested_ = false;
        }
        try {
            nextEventMs = runPass();
        } catch (const std::exception& e) {
            // A store failure must not end scheduling; the pass is tried again shortly.
            logger().error("scheduler pass failed: %s", std::string(e.what()));
            nextEventMs = clock_() + 1000;
        }
        std::unique_lock lock(wakeMutex_);
        auto ready = [this] { return stopping_ || wakeRequested_; };
        if (nextEventMs > 0) {
            int64_t waitMs = std::max<int64_t>(0, nextEventMs - clock_());
            wakeCondition_.wait_for(lock, std::chrono::milliseconds(waitMs), ready);
        } else {
            wakeCondition_.wait(lock, ready);
        }
    }
}

void Scheduler::submissionReady(int64_t submissionId) {
    {
        std::lock_guard lock(mutex_);
        for (Job& job : store_.jobsOfSubmission(submissionId)) {
            if (!isActive(job.state)) continue;
            attemptCounts_.emplace(job.id, 0);
            jobs_[job.id] = std::move(job);
        }
    }
    wake();
}

RetryPolicy Scheduler::policyOf(const std::string& nodeId) {
    if (auto node = store_.findNode(nodeId)) return node->retry;
    return options_.defaultRetry;
}

int64_t Scheduler::runPass() {
    std::lock_guard lock(mutex_);
    const int64_t now = clock_();
    int64_t nextEventMs = 0;
    auto noteEvent = [&](int64_t at) {
        if (at > now && (nextEventMs == 0 || at < nextEventMs)) nextEventMs = at;
    };

    // Time-outs first: jobs past their kill time, calls whose node went silent.
    std::vector<int64_t> ids;
    for (auto& [id, job] : jobs_) ids.push_back(id);
    for (int64_t id : ids) {
        Job& job = jobs_.at(id);
        if (job.state == JobState::Dispatched) {
            if (now - job.updatedMs >= options_.attemptTimeoutMs) {
                Attempt attempt{job.id,
                                attemptCounts_[job.id],
                                job.node,
                                job.line,
                                job.updatedMs,
                                now,
                                "failed",
                                "the node never reported the call's result",
                                0,
                                ""};
                Job next =
                    applyCallOutcome(job, {"failed", attempt.reason, 0}, policyOf(job.node), now);
                job = next;
                finishJob(job, attempt, std::nullopt);
            } else {
                noteEvent(job.updatedMs + options_.attemptTimeoutMs);
            }
        } else if (now >= job.killAtMs) {
            job.state = JobState::Failed;
            job.lastResult = "timed_out";
            job.lastReason =
                job.dials == 0
                    ? "no fax line was free before the job's kill time"
                    : "the fax could not be sent before its kill time; last try: " + job.lastReason;
            job.updatedMs = now;
            store_.updateJob(job);
            int64_t submissionId = job.submissionId;
            jobs_.erase(id);
            attemptCounts_.erase(id);
            checkSubmissionFinished(submissionId);
        }
    }

    // Then dispatch, most urgent first: priority, then age.
    std::vector<Job*> ready;
    std::map<std::string, int> callsPerNumber;
    for (auto& [id, job] : jobs_) {
        if (job.state == JobState::Dispatched) {
            callsPerNumber[job.number]++;
        } else if (job.state == JobState::Queued ||
                   (job.state == JobState::RetryWait && job.notBeforeMs <= now)) {
            ready.push_back(&job);
        } else if (job.state == JobState::RetryWait) {
            noteEvent(job.notBeforeMs);
        }
        if (job.state != JobState::Dispatched) noteEvent(job.killAtMs);
    }
    if (ready.empty()) return nextEventMs;
    std::sort(ready.begin(), ready.end(), [](const Job* a, const Job* b) {
        return a->priority != b->priority ? a->priority < b->priority : a->id < b->id;
    });

    std::map<std::string, NodeStatus> statuses = nodes_.nodeStatuses();
    std::vector<Node> nodes = store_.listNodes();
    std::map<std::string, std::string> ownerNodes;
    for (Job* job : ready) {
        dispatchJob(*job, statuses, nodes, ownerNodes, callsPerNumber);
    }
    return nextEventMs;
}

void Scheduler::dispatchJob(Job& job, std::map<std::string, NodeStatus>& statuses,
                            const std::vector<Node>& nodes,
                            std::map<std::string, std::string>& ownerNodes,
                            std::map<std::string, int>& callsPerNumber) {
    if (callsPerNumber[job.number] >= options_.maxCallsPerDestination) return;
    auto owner = ownerNodes.find(job.owner);
    if (owner == ownerNodes.end()) {
        auto user = store_.findUser(job.owner);
        owner = ownerNodes.emplace(job.owner, user ? user->defaultNode : std::string()).first;
    }
    std::vector<Node> candidates = candidateNodes(owner->second, nodes, statuses);
    if (candidates.empty()) return;  // waits for a line to free: the heartbeat wakes us

    const std::string tiff = store_.loadDocument(job.submissionId);
    for (const Node& node : candidates) {
        int attemptNumber = attemptCounts_[job.id] + 1;
        DispatchOutcome outcome = nodes_.dispatch(node, job, attemptNumber, tiff);
        NodeStatus& status = statuses[node.id];
        switch (outcome.result) {
            case DispatchResult::Accepted: {
                const int64_t now = clock_();
                job.state = JobState::Dispatched;
                job.node = node.id;
                job.line = outcome.line;
                job.updatedMs = now;
                Attempt attempt{job.id, attemptNumber, node.id, outcome.line, now, 0, "", "", 0,
                                ""};
                store_.startAttempt(job, attempt);
                attemptCounts_[job.id] = attemptNumber;
                status.idleLines -= 1;
                callsPerNumber[job.number]++;
                logger().information("job %Ld: attempt %d to %s on %s line %s", job.id,
                                     attemptNumber, job.number, node.id, outcome.line);
                return;
            }
            case DispatchResult::Busy:
                status.idleLines = 0;
                continue;
            case DispatchResult::Unreachable:
                logger().warning("job %Ld: node %s unreachable: %s", job.id, node.id,
                                 outcome.reason);
                status.online = false;
                continue;
            case DispatchResult::Refused: {
                const int64_t now = clock_();
                Attempt attempt{job.id, attemptNumber, node.id,        "", now,
                                now,    "rejected",    outcome.reason, 0,  ""};
                attemptCounts_[job.id] = attemptNumber;
                store_.startAttempt(job, attempt);
                job.state = JobState::Failed;
                job.lastResult = "rejected";
                job.lastReason = "the fax node refused the job: " + outcome.reason;
                job.updatedMs = now;
                finishJob(job, attempt, std::nullopt);
                return;
            }
        }
    }
}

// REQUIRES: mutex_ held. Stores the job's new state with the ended attempt; forgets final jobs.
void Scheduler::finishJob(Job& job, const Attempt& attempt,
                          const std::optional<CommunicationRecord>& record) {
    store_.finishAttempt(job, attempt, record);
    logger().information("job %Ld: attempt %d ended %s (%s); job now %s", job.id, attempt.number,
                         attempt.result, attempt.reason, toString(job.state));
    if (isFinal(job.state)) {
        int64_t submissionId = job.submissionId;
        int64_t id = job.id;
        jobs_.erase(id);
        attemptCounts_.erase(id);
        checkSubmissionFinished(submissionId);
    }
}

void Scheduler::checkSubmissionFinished(int64_t submissionId) {
    for (const Job& job : store_.jobsOfSubmission(submissionId)) {
        if (!isFinal(job.state)) return;
    }
    if (onSubmissionFinished_) onSubmissionFinished_(submissionId);
}

RecordDisposition Scheduler::recordReceived(const CommunicationRecord& record) {
    std::optional<Job> requeued;
    {
        std::lock_guard lock(mutex_);
        if (store_.hasRecord(record.recordId)) return RecordDisposition::Duplicate;
        auto it = jobs_.find(record.jobId);
        bool current = it != jobs_.end() && it->second.state == JobState::Dispatched &&
                       attemptCounts_[record.jobId] == record.attempt;
        if (!current) {
            // A late record (the attempt was timed out) or one for a job we do not know: keep
            // it as the communication record it is, but it changes no job.
            store_.addRecord(record);
            logger().warning("record %s for job %Ld attempt %d matches no call in progress",
                             record.recordId, record.jobId, record.attempt);
            return RecordDisposition::Unmatched;
        }
        Job& job = it->second;
        const int64_t now = clock_();
        Attempt attempt{job.id,         record.attempt, record.nodeId,
                        record.line,    job.updatedMs,  record.endedMs ? record.endedMs : now,
                        record.result,  record.reason,  record.pages,
                        record.recordId};
        job.node = record.nodeId;
        job.line = record.line;
        job = applyCallOutcome(job, {record.result, record.reason, record.pages},
                               policyOf(record.nodeId), now);
        if (job.state == JobState::RetryWait) requeued = job;
        finishJob(job, attempt, record);
    }
    if (requeued && onJobRequeued_) onJobRequeued_(*requeued);
    wake();  // the line is free again, and a retry may be due
    return RecordDisposition::Applied;
}

bool Scheduler::cancelJob(int64_t jobId) {
    std::optional<Node> node;
    {
        std::lock_guard lock(mutex_);
        auto it = jobs_.find(jobId);
        if (it == jobs_.end()) return false;
        Job& job = it->second;
        if (job.state == JobState::Dispatched) {
            node = store_.findNode(job.node);
        } else {
            job.state = JobState::Cancelled;
            job.lastResult = "cancelled";
            job.lastReason = "cancelled before it was sent";
            job.updatedMs = clock_();
            store_.updateJob(job);
            int64_t submissionId = job.submissionId;
            jobs_.erase(it);
            attemptCounts_.erase(jobId);
            checkSubmissionFinished(submissionId);
            return true;
        }
    }
    // The node aborts the call and posts a record with result "cancelled".
    return node && nodes_.cancel(*node, jobId);
}

bool Scheduler::retryJob(int64_t jobId) {
    {
        std::lock_guard lock(mutex_);
        if (jobs_.count(jobId)) return false;  // still active
        std::optional<Job> job = store_.findJob(jobId);
        if (!job || (job->state != JobState::Failed && job->state != JobState::Cancelled)) {
            return false;
        }
        std::optional<Submission> submission = store_.findSubmission(job->submissionId);
        if (!submission || submission->state != SubmissionState::Ready) return false;
        const int64_t now = clock_();
        // The job's own kill time (set at submission from the site's setting), run anew.
        const int64_t killTimeMs = job->killAtMs > job->createdMs
                                       ? job->killAtMs - job->createdMs
                                       : options_.defaultRetry.killTimeMs;
        job->state = JobState::Queued;
        job->dials = 0;
        job->connectedTries = 0;
        job->pagesSent = 0;
        job->notBeforeMs = 0;
        job->killAtMs = now + killTimeMs;
        job->lastResult.clear();
        job->lastReason = "queued again by an administrator";
        job->updatedMs = now;
        store_.updateJob(*job);
        // Attempt numbers go on from the last one: (job, attempt) stays unique.
        attemptCounts_[jobId] = static_cast<int>(store_.attemptsOf(jobId).size());
        jobs_[jobId] = *job;
    }
    logger().information("job %Ld queued again by an administrator", jobId);
    wake();
    return true;
}

}  // namespace faxgate::gateway
