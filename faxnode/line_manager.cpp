// The node's line manager; see line_manager.h.
#include "faxnode/line_manager.h"

#include <Poco/Logger.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace faxgate::node {
namespace {

int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Poco::Logger& logger() { return Poco::Logger::get("faxnode.lines"); }

// Whether two versions of a line need different drivers: the dial prefix and the concurrency
// are the manager's, everything else is the driver's.
bool sameDriverSettings(settings::LineSettings a, const std::string& timeZoneA,
                        settings::LineSettings b, const std::string& timeZoneB) {
    a.concurrency = b.concurrency = 1;
    a.dialPrefix.clear();
    b.dialPrefix.clear();
    return a == b && timeZoneA == timeZoneB;
}

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

InboundAnswer LineManager::DriverSink::incomingCall(const std::string& lineId,
                                                    const std::string& callerNumber) {
    return manager_.incomingCall(driver_, lineId, callerNumber);
}

void LineManager::DriverSink::receptionEnded(const std::string& lineId,
                                             const ReceptionResult& result) {
    manager_.receptionEnded(driver_, lineId, result);
}

LineManager::LineManager(LineManagerOptions options, LineFactory factory, RecordSpool& spool,
                         StateChangeCallback onStateChange)
    : options_(std::move(options)),
      factory_(std::move(factory)),
      spool_(spool),
      onStateChange_(std::move(onStateChange)) {
    switcher_ = std::thread(&LineManager::runSwitcher, this);
}

LineManager::~LineManager() { shutdown(0); }

void LineManager::notifyStateChange() {
    if (onStateChange_) onStateChange_();
}

LineManager::Driver LineManager::makeDriver(std::unique_ptr<Line> line) {
    Driver driver;
    driver.sink = std::make_unique<DriverSink>(*this, line.get());
    driver.line = std::move(line);
    return driver;
}

std::string LineManager::applySettings(const settings::NodeSettings& settings) {
    std::lock_guard<std::mutex> applyLock(applyMutex_);
    try {
        settings::validateNodeSettings(settings);
    } catch (const settings::SettingsError& e) {
        return e.what();
    }

    // What is there now, to tell new and changed lines from unchanged ones. While applying_,
    // only this function adds or removes channels, so the counts hold until the swap below.
    struct Existing {
        settings::LineSettings settings;
        std::string timeZone;
        bool removed = false;
        size_t channels = 0;
    };
    std::map<std::string, Existing> existing;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_) return "the node is shutting down";
        applying_ = true;
        for (const auto& entry : lines_) {
            existing[entry->id] = {entry->settings, entry->timeZone, entry->removed,
                                   entry->channels.size()};
        }
    }
    struct ApplyingGuard {
        LineManager& manager;
        ~ApplyingGuard() {
            std::lock_guard<std::mutex> lock(manager.mutex_);
            manager.applying_ = false;
            if (manager.stopping_) return;
            // Channels that went idle while applying_ held them back.
            DriverChange change;
            manager.collectRetired(change);
            manager.queueChange(std::move(change), /*always=*/false);
        }
    } applyingGuard{*this};

    // Every driver a new or changed line needs, before anything changes: a driver that
    // refuses its settings changes nothing.
    struct Plan {
        bool newDrivers = true;       // every channel gets a new driver (else only new ones)
        std::vector<Driver> drivers;  // in channel order: all, or those beyond `channels`
    };
    std::map<std::string, Plan> plans;
    for (size_t i = 0; i < settings.lines.size(); ++i) {
        const settings::LineSettings& line = settings.lines[i];
        auto now = existing.find(line.id);
        size_t first = 0;
        Plan plan;
        if (now != existing.end()) {
            const Existing& current = now->second;
            if (!current.removed && current.settings == line &&
                current.timeZone == settings.timeZone) {
                continue;  // unchanged: left alone
            }
            plan.newDrivers =
                !sameDriverSettings(current.settings, current.timeZone, line, settings.timeZone);
            if (!plan.newDrivers) first = current.channels;
        }
        for (size_t channel = first; channel < static_cast<size_t>(line.concurrency); ++channel) {
            try {
                std::unique_ptr<Line> driver =
                    factory_(line, static_cast<int>(channel), settings.timeZone);
                if (!driver) throw std::runtime_error("the line factory built no driver");
                plan.drivers.push_back(makeDriver(std::move(driver)));
            } catch (const std::exception& e) {
                return "lines[" + std::to_string(i) + "]: line " + line.id + ": " + e.what();
            }
        }
        plans[line.id] = std::move(plan);
    }

    std::vector<Driver> unused;  // pending drivers overtaken by this change: never started
    std::vector<std::string> added, changed, removed;
    uint64_t changeId = 0;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_) return "the node is shutting down";
        DriverChange change;
        std::map<std::string, std::unique_ptr<LineEntry>> entries;
        for (auto& entry : lines_) entries[entry->id] = std::move(entry);
        std::vector<std::unique_ptr<LineEntry>> ordered;

        for (const settings::LineSettings& line : settings.lines) {
            std::unique_ptr<LineEntry> entry;
            auto found = entries.find(line.id);
            if (found != entries.end()) {
                entry = std::move(found->second);
                entries.erase(found);
            } else {
                entry = std::make_unique<LineEntry>(line.id);
            }
            auto planned = plans.find(line.id);
            if (planned == plans.end()) {  // unchanged
                ordered.push_back(std::move(entry));
                continue;
            }
            Plan& plan = planned->second;
            (entry->channels.empty() ? added : changed).push_back(line.id);
            entry->settings = line;
            entry->timeZone = settings.timeZone;
            entry->removed = false;
            size_t concurrency = static_cast<size_t>(line.concurrency);
            size_t nextDriver = 0;
            for (size_t index = 0; index < concurrency; ++index) {
                if (index >= entry->channels.size()) {
                    auto channel = std::make_unique<Channel>();
                    channel->entry = entry.get();
                    channel->driver = std::move(plan.drivers.at(nextDriver++));
                    channel->sinceMs = nowMs();
                    if (index == 0 && receiving_) {
                        change.receiversToStart.push_back(channel->driver.line.get());
                    }
                    entry->channels.push_back(std::move(channel));
                    continue;
                }
                Channel& channel = *entry->channels[index];
                channel.retiring = false;
                if (!plan.newDrivers) continue;  // the driver it has is right
                Driver fresh = std::move(plan.drivers.at(nextDriver++));
                if (channel.pending.line) unused.push_back(std::move(channel.pending));
                if (channel.state == LineState::Idle) {
                    change.retiredDrivers.push_back(std::move(channel.driver));
                    channel.driver = std::move(fresh);
                    if (index == 0 && receiving_) {
                        change.receiversToStart.push_back(channel.driver.line.get());
                    }
                } else {
                    // The call in progress keeps its driver; the new one takes over after it.
                    channel.pending = std::move(fresh);
                }
            }
            for (size_t index = concurrency; index < entry->channels.size(); ++index) {
                Channel& channel = *entry->channels[index];
                channel.retiring = true;
                if (channel.pending.line) unused.push_back(std::move(channel.pending));
            }
            ordered.push_back(std::move(entry));
        }
        // Lines no longer in the settings take no new call and go when their calls end.
        for (auto& [id, entry] : entries) {
            if (!entry->removed) removed.push_back(id);
            entry->removed = true;
            for (auto& channel : entry->channels) {
                if (channel->pending.line) unused.push_back(std::move(channel->pending));
            }
            ordered.push_back(std::move(entry));
        }
        lines_ = std::move(ordered);
        collectRetired(change);
        changeId = queueChange(std::move(change), /*always=*/true);
    }
    unused.clear();
    waitForChange(changeId);
    auto list = [](const std::vector<std::string>& ids) {
        std::string text;
        for (const std::string& id : ids) text += (text.empty() ? "" : ", ") + id;
        return text.empty() ? std::string("none") : text;
    };
    logger().information("lines applied: %z lines; added: %s; changed: %s; removed: %s",
                         settings.lines.size(), list(added), list(changed), list(removed));
    notifyStateChange();
    return "";
}

StartResult LineManager::tryStart(JobRequest job) {
    StartResult result;
    Channel* picked = nullptr;
    std::thread previousWorker;
    const CallKey key{job.jobId, job.attempt};
    OutboundCall call;
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
        for (const auto& entry : lines_) {
            for (const auto& channel : entry->channels) {
                if (channel->state == LineState::Sending && channel->jobId == job.jobId) {
                    result.outcome = StartOutcome::OtherAttempt;
                    result.lineId = entry->id;
                    result.reason = "attempt " + std::to_string(channel->attempt) + " of job " +
                                    std::to_string(job.jobId) + " is still running on line " +
                                    entry->id;
                    return result;
                }
            }
        }
        // The highest free channel first: channel 0 receives, keep it free while possible.
        for (const auto& entry : lines_) {
            if (entry->removed) continue;
            for (auto it = entry->channels.rbegin(); it != entry->channels.rend(); ++it) {
                Channel& channel = **it;
                if (channel.state == LineState::Idle && !channel.retiring) {
                    picked = &channel;
                    break;
                }
            }
            if (picked != nullptr) break;
        }
        if (picked == nullptr) {
            result.outcome = StartOutcome::NoIdleLine;
            result.reason = "no idle line";
            return result;
        }
        // Reserve the channel before writing the pages, so no other request can take it.
        picked->state = LineState::Sending;
        picked->jobId = job.jobId;
        picked->attempt = job.attempt;
        picked->number = job.number;
        picked->sinceMs = nowMs();
        picked->cancel = false;
        previousWorker = std::move(picked->worker);
        result.lineId = picked->entry->id;
        knownCalls_[key] = result.lineId;
        call.dialNumber = picked->entry->settings.dialPrefix + job.number;
    }
    // The previous call on this channel has marked it idle; its thread is at most returning.
    if (previousWorker.joinable()) previousWorker.join();

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
            markIdle(*picked);
            knownCalls_.erase(key);
            afterCallEnded(*picked);
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
            markIdle(*picked);
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
                         job.attempt, call.dialNumber, result.lineId, job.pagesTotal);
    notifyStateChange();
    result.outcome = StartOutcome::Started;
    return result;
}

void LineManager::runCall(Channel& channel, const OutboundCall& call) {
    CallResult result;
    try {
        // The driver is only swapped while the channel is idle: reading it here is safe.
        result = channel.driver.line->send(call, channel.cancel);
    } catch (const std::exception& e) {
        // A driver bug must not take the node down or lose the record.
        result.result = call_result::kFailed;
        result.reason = std::string("line driver error: ") + e.what();
        result.startedMs = result.endedMs = nowMs();
        result.pagesTotal = call.pagesTotal;
    }
    spool_.removeJobTiff(call.jobId, call.attempt);
    CommunicationRecord record = makeRecord(channel, call, result);
    logger().information("job %Ld attempt %d: line %s: %s, %d/%d pages: %s", call.jobId,
                         call.attempt, record.line, record.result, record.pages, record.pagesTotal,
                         record.reason);
    spoolWithRetry(channel, record, [&] { spool_.save(record); });  // first the record ...
    {
        std::lock_guard<std::mutex> lock(mutex_);  // ... then the channel is free
        markIdle(channel);
        recentCalls_.push_back({call.jobId, call.attempt});
        while (recentCalls_.size() > options_.recentCallsKept) {
            knownCalls_.erase(recentCalls_.front());
            recentCalls_.pop_front();
        }
        afterCallEnded(channel);  // `channel` may be retired now: not touched below
    }
    lineFreed_.notify_all();
    notifyStateChange();
}

template <typename Result>
CommunicationRecord LineManager::baseRecord(const Channel& channel, const char* direction,
                                            const Result& result) {
    CommunicationRecord record;
    record.recordId = options_.nodeId + "-" + std::to_string(result.endedMs) + "-" +
                      std::to_string(recordSequence_.fetch_add(1) + 1);
    record.direction = direction;
    record.nodeId = options_.nodeId;
    record.line = channel.entry->id;
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

CommunicationRecord LineManager::makeRecord(const Channel& channel, const OutboundCall& call,
                                            const CallResult& result) {
    CommunicationRecord record = baseRecord(channel, "send", result);
    record.jobId = call.jobId;
    record.attempt = call.attempt;
    record.number = call.number;  // the job's number, without the line's dial prefix
    return record;
}

void LineManager::markIdle(Channel& channel) {
    channel.state = LineState::Idle;
    channel.jobId = 0;
    channel.attempt = 0;
    channel.number.clear();
    channel.sinceMs = nowMs();
}

bool LineManager::isReceiver(const Channel& channel) const {
    const LineEntry& entry = *channel.entry;
    return !entry.removed && !entry.channels.empty() && entry.channels.front().get() == &channel;
}

void LineManager::afterCallEnded(Channel& channel) {
    if (stopping_) return;
    DriverChange change;
    if (channel.pending.line) {
        change.retiredDrivers.push_back(std::move(channel.driver));
        channel.driver = std::move(channel.pending);
        if (receiving_ && isReceiver(channel)) {
            change.receiversToStart.push_back(channel.driver.line.get());
        }
        logger().information("line %s: new settings in use after the call", channel.entry->id);
    }
    // While an apply is under way it counts on the channels it saw; it collects them itself.
    if (!applying_) collectRetired(change);
    queueChange(std::move(change), /*always=*/false);
}

void LineManager::collectRetired(DriverChange& change) {
    for (auto& entry : lines_) {
        auto idle = [](const std::unique_ptr<Channel>& channel) {
            return channel->state == LineState::Idle;
        };
        if (entry->removed) {
            if (!std::all_of(entry->channels.begin(), entry->channels.end(), idle)) continue;
            for (auto& channel : entry->channels) {
                change.retiredChannels.push_back(std::move(channel));
            }
            entry->channels.clear();
            logger().information("line %s: removed", entry->id);
            continue;
        }
        auto& channels = entry->channels;
        for (auto it = channels.begin(); it != channels.end();) {
            if ((*it)->retiring && (*it)->state == LineState::Idle) {
                change.retiredChannels.push_back(std::move(*it));
                it = channels.erase(it);
            } else {
                ++it;
            }
        }
    }
    lines_.erase(std::remove_if(lines_.begin(), lines_.end(),
                                [](const std::unique_ptr<LineEntry>& entry) {
                                    return entry->removed && entry->channels.empty();
                                }),
                 lines_.end());
}

uint64_t LineManager::queueChange(DriverChange change, bool always) {
    if (!always && change.retiredDrivers.empty() && change.retiredChannels.empty() &&
        change.receiversToStart.empty()) {
        return 0;
    }
    change.id = ++changesQueued_;
    uint64_t id = change.id;
    changes_.push_back(std::move(change));
    changesChanged_.notify_all();
    return id;
}

std::vector<std::string> LineManager::waitForChange(uint64_t id) {
    std::unique_lock<std::mutex> lock(mutex_);
    changesChanged_.wait(lock, [&] { return changesDone_ >= id; });
    std::vector<std::string> errors;
    auto found = startErrors_.find(id);
    if (found != startErrors_.end()) {
        errors = std::move(found->second);
        startErrors_.erase(found);
    }
    return errors;
}

void LineManager::runSwitcher() {
    for (;;) {
        DriverChange change;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            changesChanged_.wait(lock, [this] { return switcherStop_ || !changes_.empty(); });
            if (changes_.empty()) return;  // stopping, and everything queued is done
            change = std::move(changes_.front());
            changes_.pop_front();
        }
        // First the old drivers stop (a sim line unregisters its number), then the new ones
        // start (and register it again).
        for (auto& channel : change.retiredChannels) {
            if (channel->driver.line) channel->driver.line->stopReceiving();
            if (channel->worker.joinable()) channel->worker.join();
        }
        change.retiredChannels.clear();
        for (Driver& driver : change.retiredDrivers) {
            if (driver.line) driver.line->stopReceiving();
        }
        change.retiredDrivers.clear();
        std::vector<std::string> errors;
        for (const Line* receiver : change.receiversToStart) {
            Line* line = nullptr;
            InboundSink* sink = nullptr;
            {
                std::lock_guard<std::mutex> lock(mutex_);
                Channel* channel = findChannel(receiver);
                // Only this thread starts, stops or destroys a driver once it is in a channel,
                // so it stays valid after the lock is released.
                if (channel != nullptr && receiving_ && !stopping_ && isReceiver(*channel)) {
                    line = channel->driver.line.get();
                    sink = channel->driver.sink.get();
                }
            }
            if (line == nullptr) continue;
            try {
                line->startReceiving(*sink);
            } catch (const std::exception& e) {
                std::string error = "line " + line->id() + ": cannot receive: " + e.what();
                logger().error("%s", error);
                errors.push_back(error);
            }
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            changesDone_ = change.id;
            if (change.reportErrors) startErrors_[change.id] = std::move(errors);
        }
        changesChanged_.notify_all();
    }
}

LineManager::Channel* LineManager::findChannel(const Line* driver) const {
    for (const auto& entry : lines_) {
        for (const auto& channel : entry->channels) {
            if (channel->driver.line.get() == driver) return channel.get();
        }
    }
    return nullptr;
}

void LineManager::startReceiving() {
    uint64_t changeId = 0;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_ || receiving_) return;
        receiving_ = true;
        DriverChange change;
        change.reportErrors = true;
        for (const auto& entry : lines_) {
            if (!entry->removed && !entry->channels.empty()) {
                change.receiversToStart.push_back(entry->channels.front()->driver.line.get());
            }
        }
        changeId = queueChange(std::move(change), /*always=*/true);
    }
    std::vector<std::string> errors = waitForChange(changeId);
    if (!errors.empty()) throw std::runtime_error(errors.front());
}

InboundAnswer LineManager::incomingCall(const Line* driver, const std::string& lineId,
                                        const std::string& callerNumber) {
    InboundAnswer answer;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        Channel* channel = findChannel(driver);
        if (stopping_ || channel == nullptr || channel->entry->removed || channel->retiring ||
            channel->state != LineState::Idle) {
            return answer;
        }
        if (channel->entry->id != lineId) {
            logger().error("line %s: a call reported as ringing on line %s: refused",
                           channel->entry->id, lineId);
            return answer;
        }
        channel->state = LineState::Receiving;
        channel->jobId = 0;
        channel->attempt = 0;
        channel->number = callerNumber;
        channel->sinceMs = nowMs();
    }
    answer.accepted = true;
    answer.tiffPath = spool_.inboundReceivePath(lineId);
    logger().information("line %s: receiving a call from %s", lineId,
                         callerNumber.empty() ? std::string("a withheld number") : callerNumber);
    notifyStateChange();
    return answer;
}

void LineManager::receptionEnded(const Line* driver, const std::string& lineId,
                                 const ReceptionResult& result) {
    Channel* channel = nullptr;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        channel = findChannel(driver);
        if (channel != nullptr && channel->state != LineState::Receiving) channel = nullptr;
    }
    // A receiving channel is neither swapped nor retired: `channel` stays valid until idle.
    if (channel == nullptr) {
        logger().error("reception reported by line %s, which is not receiving: ignored", lineId);
        return;
    }
    CommunicationRecord record = makeInboundRecord(*channel, result);
    // A failed reception keeps no image, whatever the driver left in the file.
    bool withImage = result.hasImage && record.result != reception_result::kFailed;
    std::string imagePath = spool_.inboundReceivePath(record.line);
    if (!withImage) ::unlink(imagePath.c_str());
    logger().information("line %s: received from %s: %s, %d pages: %s (record %s)", record.line,
                         record.callerNumber, record.result, record.pages, record.reason,
                         record.recordId);
    spoolWithRetry(*channel, record,  // first the image and record ...
                   [&] { spool_.saveInbound(record, withImage ? imagePath : std::string()); });
    {
        std::lock_guard<std::mutex> lock(mutex_);  // ... then the channel is free
        markIdle(*channel);
        afterCallEnded(*channel);
    }
    lineFreed_.notify_all();
    notifyStateChange();
}

CommunicationRecord LineManager::makeInboundRecord(const Channel& channel,
                                                   const ReceptionResult& result) {
    CommunicationRecord record = baseRecord(channel, "receive", result);
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

void LineManager::spoolWithRetry(Channel& channel, const CommunicationRecord& record,
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
            // Keep the channel out of service (it cannot record its calls) and say so.
            channel.state = LineState::Down;
            channel.sinceMs = nowMs();
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
    for (const auto& entry : lines_) {
        for (const auto& channel : entry->channels) {
            if (channel->state == LineState::Sending && channel->jobId == jobId) {
                channel->cancel = true;
                logger().information("job %Ld attempt %d: cancel requested on line %s", jobId,
                                     channel->attempt, entry->id);
                return entry->id;
            }
        }
    }
    return "";
}

std::vector<LineStatus> LineManager::status() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<LineStatus> lines;
    for (const auto& entry : lines_) {
        LineStatus line;
        line.lineId = entry->id;
        line.concurrency = entry->settings.concurrency;
        bool free = false, sending = false, receiving = false, first = true;
        for (const auto& channel : entry->channels) {
            ChannelStatus status;
            status.state = channel->state;
            status.jobId = channel->jobId;
            status.attempt = channel->attempt;
            status.number = channel->number;
            status.sinceMs = channel->sinceMs;
            line.sinceMs = std::max(line.sinceMs, channel->sinceMs);
            if (channel->state == LineState::Idle && !channel->retiring && !entry->removed) {
                free = true;
            }
            bool inCall =
                channel->state == LineState::Sending || channel->state == LineState::Receiving;
            sending = sending || channel->state == LineState::Sending;
            receiving = receiving || channel->state == LineState::Receiving;
            if (inCall) {
                ++line.calls;
                if (first) {
                    line.jobId = channel->jobId;
                    line.attempt = channel->attempt;
                    line.number = channel->number;
                    first = false;
                }
            }
            line.channels.push_back(std::move(status));
        }
        line.state = free        ? LineState::Idle
                     : sending   ? LineState::Sending
                     : receiving ? LineState::Receiving
                                 : LineState::Down;
        lines.push_back(std::move(line));
    }
    return lines;
}

void LineManager::shutdown(int64_t graceMs) {
    std::vector<std::thread> workers;
    std::vector<Line*> drivers;
    bool stopReceiving = false;
    {
        std::unique_lock<std::mutex> lock(mutex_);
        auto allIdle = [this] {
            for (const auto& entry : lines_) {
                for (const auto& channel : entry->channels) {
                    if (channel->state != LineState::Idle) return false;
                }
            }
            return true;
        };
        if (!stopping_ && graceMs > 0 && !allIdle()) {
            logger().information("waiting up to %Ld ms for calls in progress", graceMs);
            lineFreed_.wait_for(lock, std::chrono::milliseconds(graceMs), allIdle);
        }
        stopping_ = true;
        switcherStop_ = true;
        stopReceiving = receiving_;
        receiving_ = false;
        // From here on the line table stays as it is: applies and call ends change nothing.
        for (const auto& entry : lines_) {
            for (const auto& channel : entry->channels) {
                if (channel->state != LineState::Idle) channel->cancel = true;
                if (channel->worker.joinable()) workers.push_back(std::move(channel->worker));
                drivers.push_back(channel->driver.line.get());
            }
        }
    }
    changesChanged_.notify_all();
    lineFreed_.notify_all();  // wakes a record writer that is waiting to retry
    // The switcher finishes what is queued (old drivers stop) and ends.
    if (switcher_.joinable()) switcher_.join();
    // Receptions in progress end now and are spooled from the drivers' threads, which
    // stopReceiving() waits for.
    if (stopReceiving) {
        for (Line* driver : drivers) driver->stopReceiving();
    }
    for (auto& worker : workers) worker.join();
}

}  // namespace faxgate::node
