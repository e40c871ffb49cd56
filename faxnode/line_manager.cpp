// The node's line manager; see line_manager.h.
#include "faxnode/line_manager.h"

#include <Poco/Logger.h>
#include <unistd.h>

#include <chrono>

namespace faxgate::node {
namespace {

int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Poco::Logger& logger() { return Poco::Logger::get("faxnode.lines"); }

}  // namespace

const char* toString(LineState state) {
    switch (state) {
        case LineState::Idle:
            return "idle";
        case LineState::Sending:
            return "sending";
        case LineState::Receiving:
            return "receiving";
        case LineState::Down:
            return "down";
    }
    return "down";
}

LineManager::LineManager(LineManagerOptions options, std::vector<std::unique_ptr<Line>> lines,
                         RecordSpool& spool, StateChangeCallback onStateChange)
    : options_(std::move(options)), spool_(spool), onStateChange_(std::move(onStateChange)) {
    int64_t startMs = nowMs();
    for (auto& line : lines) {
        auto slot = std::make_unique<Slot>();
        slot->line = std::move(line);
        slot->sinceMs = startMs;
        slots_.push_back(std::move(slot));
    }
}

LineManager::~LineManager() { shutdown(0); }

void LineManager::notifyStateChange() {
    if (onStateChange_) onStateChange_();
}

StartResult LineManager::tryStart(JobRequest job) {
    StartResult result;
    Slot* picked = nullptr;
    std::thread previousWorker;
    const CallKey key{job.jobId, job.attempt};
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_) {
            result.outcome = StartOutcome::ShuttingDown;
            result.reason = "the node is shutting down";
            return result;
        }
        auto known = knownCalls_.find(key);
        if (known != knownCalls_.end()) {
            result.outcome = StartOutcome::Duplicate;
            result.lineId = known->second;
            result.reason = "job " + std::to_string(job.jobId) + " attempt " +
                            std::to_string(job.attempt) + " is already on this node";
            return result;
        }
        for (const auto& slot : slots_) {
            if (slot->state == LineState::Sending && slot->jobId == job.jobId) {
                result.outcome = StartOutcome::OtherAttempt;
                result.lineId = slot->line->id();
                result.reason = "attempt " + std::to_string(slot->attempt) + " of job " +
                                std::to_string(job.jobId) + " is still running on line " +
                                slot->line->id();
                return result;
            }
        }
        for (const auto& slot : slots_) {
            if (slot->state == LineState::Idle) {
                picked = slot.get();
                break;
            }
        }
        if (picked == nullptr) {
            result.outcome = StartOutcome::NoIdleLine;
            result.reason = "no idle line";
            return result;
        }
        // Reserve the line before writing the pages, so no other request can take it.
        picked->state = LineState::Sending;
        picked->jobId = job.jobId;
        picked->attempt = job.attempt;
        picked->number = job.number;
        picked->sinceMs = nowMs();
        picked->cancel = false;
        previousWorker = std::move(picked->worker);
        knownCalls_[key] = picked->line->id();
    }
    // The previous call on this line has marked it idle; its thread is at most returning.
    if (previousWorker.joinable()) previousWorker.join();

    OutboundCall call;
    call.jobId = job.jobId;
    call.attempt = job.attempt;
    call.number = job.number;
    call.pagesTotal = job.pagesTotal;
    call.resolution = job.resolution;
    try {
        call.tiffPath = spool_.storeJobTiff(job.jobId, job.attempt, job.tiffBytes);
    } catch (const SpoolError& e) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            picked->state = LineState::Idle;
            picked->jobId = 0;
            picked->attempt = 0;
            picked->number.clear();
            picked->sinceMs = nowMs();
            knownCalls_.erase(key);
        }
        lineFreed_.notify_all();
        logger().error("job %Ld attempt %d: cannot store the pages: %s", job.jobId, job.attempt,
                       std::string(e.what()));
        result.outcome = StartOutcome::StorageFailed;
        result.reason = std::string("cannot store the pages on the node: ") + e.what();
        return result;
    }
    job.tiffBytes.clear();
    job.tiffBytes.shrink_to_fit();

    bool stopped = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_) {
            // shutdown() ran while the pages were written; it cannot join a thread started
            // after it, so do not start one.
            picked->state = LineState::Idle;
            picked->jobId = 0;
            picked->attempt = 0;
            picked->number.clear();
            knownCalls_.erase(key);
            stopped = true;
        } else {
            picked->worker = std::thread(&LineManager::runCall, this, std::ref(*picked), call);
        }
    }
    if (stopped) {
        spool_.removeJobTiff(job.jobId, job.attempt);
        result.outcome = StartOutcome::ShuttingDown;
        result.reason = "the node is shutting down";
        return result;
    }
    logger().information("job %Ld attempt %d: dialling %s on line %s (%d pages)", job.jobId,
                         job.attempt, job.number, picked->line->id(), job.pagesTotal);
    notifyStateChange();
    result.outcome = StartOutcome::Started;
    result.lineId = picked->line->id();
    return result;
}

void LineManager::runCall(Slot& slot, OutboundCall call) {
    CallResult result;
    try {
        result = slot.line->send(call, slot.cancel);
    } catch (const std::exception& e) {
        // A driver bug must not take the node down or lose the record.
        result.result = call_result::kFailed;
        result.reason = std::string("line driver error: ") + e.what();
        result.startedMs = result.endedMs = nowMs();
        result.pagesTotal = call.pagesTotal;
    }
    spool_.removeJobTiff(call.jobId, call.attempt);
    CommunicationRecord record = makeRecord(slot, call, result);
    logger().information("job %Ld attempt %d: line %s: %s, %d/%d pages: %s", call.jobId,
                         call.attempt, slot.line->id(), record.result, record.pages,
                         record.pagesTotal, record.reason);
    spoolWithRetry(slot, record, [&] { spool_.save(record); });  // first the record ...
    {
        std::lock_guard<std::mutex> lock(mutex_);  // ... then the line is free
        markIdle(slot);
        recentCalls_.push_back({call.jobId, call.attempt});
        while (recentCalls_.size() > options_.recentCallsKept) {
            knownCalls_.erase(recentCalls_.front());
            recentCalls_.pop_front();
        }
    }
    lineFreed_.notify_all();
    notifyStateChange();
}

template <typename Result>
CommunicationRecord LineManager::baseRecord(const Slot& slot, const char* direction,
                                            const Result& result) {
    CommunicationRecord record;
    record.recordId = options_.nodeId + "-" + std::to_string(result.endedMs) + "-" +
                      std::to_string(recordSequence_.fetch_add(1) + 1);
    record.direction = direction;
    record.nodeId = options_.nodeId;
    record.line = slot.line->id();
    record.remoteCsid = result.remoteCsid;
    record.pages = result.pages;
    record.pagesTotal = result.pagesTotal;
    record.durationMs = result.endedMs - result.startedMs;
    record.bitRate = result.bitRate;
    record.ecm = result.ecm;
    record.result = result.result;
    record.reason = result.reason;
    record.startedMs = result.startedMs;
    record.endedMs = result.endedMs;
    return record;
}

CommunicationRecord LineManager::makeRecord(const Slot& slot, const OutboundCall& call,
                                            const CallResult& result) {
    CommunicationRecord record = baseRecord(slot, "send", result);
    record.jobId = call.jobId;
    record.attempt = call.attempt;
    record.number = call.number;
    return record;
}

void LineManager::markIdle(Slot& slot) {
    slot.state = LineState::Idle;
    slot.jobId = 0;
    slot.attempt = 0;
    slot.number.clear();
    slot.sinceMs = nowMs();
}

LineManager::Slot* LineManager::findSlot(const std::string& lineId) const {
    for (const auto& slot : slots_) {
        if (slot->line->id() == lineId) return slot.get();
    }
    return nullptr;
}

void LineManager::startReceiving() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_ || receiving_) return;
        receiving_ = true;
    }
    for (const auto& slot : slots_) {
        try {
            slot->line->startReceiving(*this);
        } catch (const std::exception& e) {
            throw std::runtime_error("line " + slot->line->id() + ": cannot receive: " + e.what());
        }
    }
}

InboundAnswer LineManager::incomingCall(const std::string& lineId,
                                        const std::string& callerNumber) {
    InboundAnswer answer;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        Slot* slot = findSlot(lineId);
        if (stopping_ || slot == nullptr || slot->state != LineState::Idle) return answer;
        slot->state = LineState::Receiving;
        slot->jobId = 0;
        slot->attempt = 0;
        slot->number = callerNumber;
        slot->sinceMs = nowMs();
    }
    answer.accepted = true;
    answer.tiffPath = spool_.inboundReceivePath(lineId);
    logger().information("line %s: receiving a call from %s", lineId,
                         callerNumber.empty() ? std::string("a withheld number") : callerNumber);
    notifyStateChange();
    return answer;
}

void LineManager::receptionEnded(const std::string& lineId, const ReceptionResult& result) {
    Slot* slot = nullptr;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        slot = findSlot(lineId);
    }
    if (slot == nullptr) {
        logger().error("reception reported by unknown line %s: ignored", lineId);
        return;
    }
    CommunicationRecord record = makeInboundRecord(*slot, result);
    // A failed reception keeps no image, whatever the driver left in the file.
    bool withImage = result.hasImage && record.result != reception_result::kFailed;
    std::string imagePath = spool_.inboundReceivePath(lineId);
    if (!withImage) ::unlink(imagePath.c_str());
    logger().information("line %s: received from %s: %s, %d pages: %s (record %s)", lineId,
                         record.callerNumber, record.result, record.pages, record.reason,
                         record.recordId);
    spoolWithRetry(*slot, record,  // first the image and record ...
                   [&] { spool_.saveInbound(record, withImage ? imagePath : std::string()); });
    {
        std::lock_guard<std::mutex> lock(mutex_);  // ... then the line is free
        markIdle(*slot);
    }
    lineFreed_.notify_all();
    notifyStateChange();
}

CommunicationRecord LineManager::makeInboundRecord(const Slot& slot,
                                                   const ReceptionResult& result) {
    CommunicationRecord record = baseRecord(slot, "receive", result);
    record.calledNumber = result.calledNumber;
    record.callerNumber = result.callerNumber;
    record.number = result.callerNumber;
    if (record.result != reception_result::kOk && record.result != reception_result::kPartial &&
        record.result != reception_result::kFailed) {
        // A driver bug must not put a word the gateway does not know into the record.
        record.reason = "line driver reported \"" + record.result + "\": " + record.reason;
        record.result = reception_result::kFailed;
    }
    return record;
}

void LineManager::spoolWithRetry(Slot& slot, const CommunicationRecord& record,
                                 const std::function<void()>& save) {
    bool markedDown = false;
    for (;;) {
        try {
            save();
            return;
        } catch (const SpoolError& e) {
            logger().error("line %s: cannot spool record %s: %s", record.line, record.recordId,
                           std::string(e.what()));
        }
        std::unique_lock<std::mutex> lock(mutex_);
        if (stopping_) {
            // Nothing else can keep it: leave the record in the log for the administrator.
            logger().critical("record lost at shutdown: %s", toJson(record));
            return;
        }
        if (!markedDown) {
            // Keep the line out of service (it cannot record its calls) and say so.
            slot.state = LineState::Down;
            slot.sinceMs = nowMs();
            markedDown = true;
            lock.unlock();
            notifyStateChange();
            lock.lock();
        }
        lineFreed_.wait_for(lock, std::chrono::milliseconds(options_.recordRetryMs),
                            [this] { return stopping_; });
    }
}

std::string LineManager::cancel(int64_t jobId) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& slot : slots_) {
        if (slot->state == LineState::Sending && slot->jobId == jobId) {
            slot->cancel = true;
            logger().information("job %Ld attempt %d: cancel requested on line %s", jobId,
                                 slot->attempt, slot->line->id());
            return slot->line->id();
        }
    }
    return "";
}

std::vector<LineStatus> LineManager::status() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<LineStatus> lines;
    for (const auto& slot : slots_) {
        LineStatus line;
        line.lineId = slot->line->id();
        line.state = slot->state;
        line.jobId = slot->jobId;
        line.attempt = slot->attempt;
        line.number = slot->number;
        line.sinceMs = slot->sinceMs;
        lines.push_back(std::move(line));
    }
    return lines;
}

void LineManager::shutdown(int64_t graceMs) {
    std::vector<std::thread> workers;
    bool stopReceiving = false;
    {
        std::unique_lock<std::mutex> lock(mutex_);
        auto allIdle = [this] {
            for (const auto& slot : slots_) {
                if (slot->state != LineState::Idle) return false;
            }
            return true;
        };
        if (!stopping_ && graceMs > 0 && !allIdle()) {
            logger().information("waiting up to %Ld ms for calls in progress", graceMs);
            lineFreed_.wait_for(lock, std::chrono::milliseconds(graceMs), allIdle);
        }
        stopping_ = true;
        stopReceiving = receiving_;
        receiving_ = false;
        for (const auto& slot : slots_) {
            if (slot->state != LineState::Idle) slot->cancel = true;
        }
        for (const auto& slot : slots_) {
            if (slot->worker.joinable()) workers.push_back(std::move(slot->worker));
        }
    }
    lineFreed_.notify_all();  // wakes a record writer that is waiting to retry
    // Receptions in progress end now and are spooled from the drivers' threads, which
    // stopReceiving() waits for.
    if (stopReceiving) {
        for (const auto& slot : slots_) slot->line->stopReceiving();
    }
    for (auto& worker : workers) worker.join();
}

}  // namespace faxgate::node
