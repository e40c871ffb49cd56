// The simulated fax line; see sim_line.h.
#include "faxnode/lines/sim_line.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "common/tiff_info.h"

namespace faxgate::node {
namespace fs = std::filesystem;
namespace {

constexpr size_t kMaxSmallFileBytes = 64 * 1024;  // an inbox .json or an exchange entry
constexpr size_t kMaxNumberLength = 32;

Poco::Logger& logger() { return Poco::Logger::get("faxnode.sim"); }

int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::optional<std::regex> compilePattern(const std::string& setting, const std::string& pattern) {
    if (pattern.empty()) return std::nullopt;
    try {
        return std::regex(pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& error) {
        throw std::invalid_argument(setting + ": not a valid regular expression \"" + pattern +
                                    "\": " + error.what());
    }
}

bool matches(const std::optional<std::regex>& pattern, const std::string& number) {
    return pattern && std::regex_match(number, *pattern);
}

// Sleeps `durationMs` in slices short enough that a cancel is seen within ~10 ms.
// Returns false if cancelled.
bool sleepUnlessCancelled(int64_t durationMs, const std::atomic<bool>& cancel) {
    constexpr int64_t kSliceMs = 10;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(durationMs);
    while (!cancel.load()) {
        auto now = std::chrono::steady_clock::now();
        if (now >= deadline) return true;
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
            deadline - now, std::chrono::milliseconds(kSliceMs)));
    }
    return false;
}

std::string pagesInWords(int pages) {
    return std::to_string(pages) + (pages == 1 ? " page" : " pages");
}

// A number as a file name: digits with an optional leading '+', bounded.
bool isExchangeNumber(const std::string& number) {
    if (number.empty() || number.size() > kMaxNumberLength) return false;
    for (size_t i = 0; i < number.size(); ++i) {
        char c = number[i];
        if (!(c >= '0' && c <= '9') && !(c == '+' && i == 0)) return false;
    }
    return number != "+";
}

// Reads a file of at most kMaxSmallFileBytes; nullopt (with `error`) if absent, unreadable
// or larger.
std::optional<std::string> readSmallFile(const std::string& path, std::string& error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = "cannot open " + path;
        return std::nullopt;
    }
    std::string content(kMaxSmallFileBytes + 1, '\0');
    in.read(content.data(), static_cast<std::streamsize>(content.size()));
    content.resize(static_cast<size_t>(in.gcount()));
    if (in.bad()) {
        error = "cannot read " + path;
        return std::nullopt;
    }
    if (content.size() > kMaxSmallFileBytes) {
        error = path + " is larger than " + std::to_string(kMaxSmallFileBytes) + " bytes";
        return std::nullopt;
    }
    return content;
}

// Writes `content` to a temp file in the same directory and renames it over `path`, so a
// reader sees the whole file or none. Throws std::runtime_error.
void writeFileAtomically(const std::string& path, const std::string& content) {
    static std::atomic<uint64_t> counter{0};
    fs::path target(path);
    std::string tempPath = (target.parent_path() / (".tmp-" + std::to_string(::getpid()) + "-" +
                                                    std::to_string(counter.fetch_add(1)) + "-" +
                                                    target.filename().string()))
                               .string();
    {
        std::ofstream out(tempPath, std::ios::binary | std::ios::trunc);
        out.write(content.data(), static_cast<std::streamsize>(content.size()));
        out.close();
        if (!out) {
            ::unlink(tempPath.c_str());
            throw std::runtime_error("cannot write " + tempPath);
        }
    }
    if (::rename(tempPath.c_str(), path.c_str()) != 0) {
        std::string reason = std::strerror(errno);
        ::unlink(tempPath.c_str());
        throw std::runtime_error("cannot rename " + tempPath + " to " + path + ": " + reason);
    }
}

// Copies `from` to `path` through a temp file and a rename. Throws std::runtime_error.
void copyFileAtomically(const std::string& from, const std::string& path) {
    static std::atomic<uint64_t> counter{0};
    fs::path target(path);
    fs::path tempPath = target.parent_path() /
                        (".tmp-" + std::to_string(::getpid()) + "-" +
                         std::to_string(counter.fetch_add(1)) + "-" + target.filename().string());
    std::error_code error;
    fs::copy_file(from, tempPath, fs::copy_options::overwrite_existing, error);
    if (!error) fs::rename(tempPath, target, error);
    if (error) {
        std::error_code ignored;
        fs::remove(tempPath, ignored);
        throw std::runtime_error("cannot copy " + from + " to " + path + ": " + error.message());
    }
}

// Moves a file, copying across file systems. Throws std::runtime_error.
void moveFile(const std::string& from, const std::string& to) {
    if (::rename(from.c_str(), to.c_str()) == 0) return;
    if (errno != EXDEV) {
        throw std::runtime_error("cannot move " + from + " to " + to + ": " + std::strerror(errno));
    }
    copyFileAtomically(from, to);
    ::unlink(from.c_str());
}

std::string stringify(const Poco::JSON::Object& object) {
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

// A line's entry in the exchange: `<exchange>/lines/<number>`.
struct ExchangeEntry {
    std::string lineId;
    std::string inboxDir;
    std::string stationId;
};

std::optional<ExchangeEntry> readExchangeEntry(const std::string& path, std::string& error) {
    std::optional<std::string> text = readSmallFile(path, error);
    if (!text) return std::nullopt;
    try {
        Poco::JSON::Parser parser;
        auto object = parser.parse(*text).extract<Poco::JSON::Object::Ptr>();
        ExchangeEntry entry;
        entry.lineId = object->getValue<std::string>("line");
        entry.inboxDir = object->getValue<std::string>("inbox");
        entry.stationId = object->optValue<std::string>("station_id", "");
        if (entry.inboxDir.empty()) {
            error = path + ": no inbox";
            return std::nullopt;
        }
        return entry;
    } catch (const Poco::Exception& e) {
        error = path + ": " + e.displayText();
    }
    return std::nullopt;
}

// "+" and the digits of a number: the station ID a far end without one is shown with.
std::string digitsAsCsid(const std::string& number) {
    std::string csid = "+";
    for (char c : number) {
        if (c >= '0' && c <= '9') csid += c;
    }
    return csid;
}

// Text fields of an inbox .json: printable, bounded.
std::string boundedText(const Poco::JSON::Object& object, const std::string& key,
                        size_t maxLength) {
    std::string value = object.optValue<std::string>(key, "");
    if (value.size() > maxLength) {
        throw std::invalid_argument(key + " is longer than " + std::to_string(maxLength) +
                                    " characters");
    }
    for (unsigned char c : value) {
        if (c < 0x20 || c == 0x7f) throw std::invalid_argument(key + " has a control character");
    }
    return value;
}

// An exclusive claim on a number in the exchange, released when it goes out of scope.
class Claim {
  public:
    Claim() = default;
    ~Claim() { release(); }
    Claim(const Claim&) = delete;
    Claim& operator=(const Claim&) = delete;

    // Returns 0, or the errno of the failure (EEXIST: someone else holds it).
    int take(const std::string& path, const std::string& holder) {
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
        if (fd < 0) return errno;
        // Who holds it, for an administrator looking at a number that stays busy.
        std::string text = holder + " " + std::to_string(::getpid()) + "\n";
        ssize_t ignored = ::write(fd, text.data(), text.size());
        (void)ignored;
        ::close(fd);
        path_ = path;
        return 0;
    }
    // The claim now belongs to someone else (the receiver frees it): forget it.
    void handOver() { path_.clear(); }
    void release() {
        if (!path_.empty()) ::unlink(path_.c_str());
        path_.clear();
    }

  private:
    std::string path_;
};

}  // namespace

// One inbound call as described by the inbox's .json (all optional).
struct SimLine::InboxCall {
    std::string callerNumber;
    std::string remoteCsid;
    std::string result = reception_result::kOk;
    int pages = -1;  // partial: pages received; -1 = not given
    bool viaExchange = false;
};

std::string formatSeconds(int64_t durationMs) {
    char text[32];
    if (durationMs % 1000 == 0) {
        std::snprintf(text, sizeof text, "%lld s", static_cast<long long>(durationMs / 1000));
    } else if (durationMs % 100 == 0) {
        std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(durationMs) / 1000.0);
    } else {
        std::snprintf(text, sizeof text, "%.2f s", static_cast<double>(durationMs) / 1000.0);
    }
    return text;
}

SimLine::SimLine(LineSettings line, SimSettings sim)
    : line_(std::move(line)), options_(std::move(sim)) {
    if (options_.dialMs < 0) throw std::invalid_argument("sim.dial_ms: must not be negative");
    if (options_.pageMs < 0) throw std::invalid_argument("sim.page_ms: must not be negative");
    if (options_.failAfterPages < 0) {
        throw std::invalid_argument("sim.fail_after_pages: must not be negative");
    }
    busy_ = compilePattern("sim.busy", options_.busyPattern);
    noAnswer_ = compilePattern("sim.no_answer", options_.noAnswerPattern);
    noCarrier_ = compilePattern("sim.no_carrier", options_.noCarrierPattern);
    fail_ = compilePattern("sim.fail", options_.failPattern);
}

SimLine::~SimLine() { stopReceiving(); }

std::string SimLine::claimPath(const std::string& number) const {
    return options_.exchangeDir + "/busy/" + number;
}

CallResult SimLine::send(const OutboundCall& call, const std::atomic<bool>& cancel) {
    CallResult out;
    out.startedMs = nowMs();
    out.pagesTotal = call.pagesTotal;
    auto finish = [&](const char* result, std::string reason) {
        out.result = result;
        out.reason = std::move(reason);
        out.endedMs = nowMs();
        return out;
    };

    // A line in the exchange holds its own number while it sends, so no caller is put
    // through to it; a caller who got there first wins, as on a real line (glare).
    Claim ownNumber;
    struct SendingFlag {
        std::atomic<bool>& flag;
        ~SendingFlag() { flag = false; }
    } sendingFlag{sending_};
    sending_ = true;
    if (registered_) {
        int error = ownNumber.take(claimPath(line_.number), line_.id);
        if (error == EEXIST) {
            return finish(call_result::kNoCarrier,
                          "an inbound call seized the line before it could dial");
        }
        if (error != 0) {
            logger().warning("line %s: cannot claim its own number in the sim exchange: %s",
                             line_.id, std::string(std::strerror(error)));
        }
    }

    // A real driver must read the document before it dials; so does the sim, so a broken
    // upload fails here the same way it would on a real line.
    TiffPageCount count = countTiffPages(call.tiffPath, options_.maxPages);
    if (!count.ok())
        return finish(call_result::kFailed, "the document cannot be sent: " + count.error);
    out.pagesTotal = count.pages;

    if (!sleepUnlessCancelled(options_.dialMs, cancel)) {
        return finish(call_result::kCancelled, "cancelled while dialling");
    }
    // The patterns see what is dialled (dial prefix included); the exchange and the far end's
    // CSID see the number behind the prefix, as a PBX would put it through.
    const std::string& dialled = call.dialNumber.empty() ? call.number : call.dialNumber;
    if (matches(busy_, dialled)) return finish(call_result::kBusy, "the number was busy");
    if (matches(noAnswer_, dialled)) {
        return finish(call_result::kNoAnswer, "no answer after " + formatSeconds(options_.dialMs));
    }
    if (matches(noCarrier_, dialled)) {
        return finish(call_result::kNoCarrier,
                      "the call dropped before the fax session started (no carrier)");
    }

    // Pages before the simulated failure; a failure point past the last page is never reached.
    int failAfter = matches(fail_, dialled) ? options_.failAfterPages : -1;

    // Connected: the fax session has started.
    std::optional<CallResult> delivered;
    if (!options_.exchangeDir.empty()) {
        delivered = deliverThroughExchange(call, out.pagesTotal, failAfter);
    }
    if (delivered && !delivered->result.empty()) {
        return finish(delivered->result.c_str(), delivered->reason);
    }
    if (delivered) {
        out.remoteCsid = delivered->remoteCsid;
    } else if (!options_.remoteCsid.empty()) {
        out.remoteCsid = options_.remoteCsid;
    } else {
        out.remoteCsid = digitsAsCsid(call.number);
    }
    out.bitRate = line_.maxBitRate;
    out.ecm = line_.ecm;

    for (int page = 1; page <= out.pagesTotal; ++page) {
        if (page == failAfter + 1) {
            // Drop halfway through the page: it is sent in part and never confirmed.
            if (!sleepUnlessCancelled(options_.pageMs / 2, cancel)) break;
            return finish(call_result::kFailed, "the call dropped while sending page " +
                                                    std::to_string(page) + " after " +
                                                    pagesInWords(out.pages) + " confirmed");
        }
        if (!sleepUnlessCancelled(options_.pageMs, cancel)) break;
        out.pages = page;
    }
    if (out.pages < out.pagesTotal) {  // the loop only stops early when cancelled
        return finish(call_result::kCancelled,
                      "cancelled after " + pagesInWords(out.pages) + " confirmed");
    }
    return finish(call_result::kOk, "all pages confirmed by the receiver");
}

std::optional<CallResult> SimLine::deliverThroughExchange(const OutboundCall& call, int pagesTotal,
                                                          int failAfterPages) {
    if (!isExchangeNumber(call.number)) return std::nullopt;
    std::string entryPath = options_.exchangeDir + "/lines/" + call.number;
    std::error_code ignored;
    if (!fs::exists(entryPath, ignored)) return std::nullopt;

    CallResult outcome;
    std::string error;
    std::optional<ExchangeEntry> entry = readExchangeEntry(entryPath, error);
    if (!entry) {
        logger().warning("line %s: damaged sim exchange entry: %s", line_.id, error);
        outcome.result = call_result::kNoCarrier;
        outcome.reason = "the sim exchange cannot connect " + call.number + ": " + error;
        return outcome;
    }
    Claim receiver;
    int claimError = receiver.take(claimPath(call.number), line_.id);
    if (claimError == EEXIST) {
        outcome.result = call_result::kBusy;
        outcome.reason = "the number was busy";
        return outcome;
    }
    if (claimError != 0) {
        outcome.result = call_result::kNoCarrier;
        outcome.reason =
            "the sim exchange cannot connect " + call.number + ": " + std::strerror(claimError);
        return outcome;
    }

    // What the receiver will see: the pages the sender is going to get through.
    Poco::JSON::Object description(Poco::JSON_PRESERVE_KEY_ORDER);
    description.set("caller_number", line_.number);
    description.set("remote_csid", line_.stationId);
    if (failAfterPages >= 0 && failAfterPages < pagesTotal) {
        description.set(
            "result", failAfterPages == 0 ? reception_result::kFailed : reception_result::kPartial);
        description.set("pages", failAfterPages);
    } else {
        description.set("result", reception_result::kOk);
    }
    description.set("via_exchange", true);
    description.set("job_id", call.jobId);  // only for the administrator reading the inbox

    static std::atomic<uint64_t> deliveries{0};
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "%015lld", static_cast<long long>(nowMs()));
    std::string base = entry->inboxDir + "/" + stamp + "-" + line_.id + "-" +
                       std::to_string(deliveries.fetch_add(1));
    try {
        // The description first: the receiver acts on the .tif and expects it beside it.
        writeFileAtomically(base + ".json", stringify(description));
        copyFileAtomically(call.tiffPath, base + ".tif");
    } catch (const std::runtime_error& e) {
        ::unlink((base + ".json").c_str());
        outcome.result = call_result::kNoCarrier;
        outcome.reason = "the call to " + call.number + " dropped: the sim exchange could not " +
                         "deliver the fax: " + e.what();
        return outcome;
    }
    receiver.handOver();  // the receiving line frees it after its record
    logger().information(
        "job %Ld attempt %d: line %s put through to line %s (%s) by the sim "
        "exchange",
        call.jobId, call.attempt, line_.id, entry->lineId, call.number);
    outcome.remoteCsid = entry->stationId.empty() ? digitsAsCsid(call.number) : entry->stationId;
    return outcome;
}

void SimLine::startReceiving(InboundSink& sink) {
    if (options_.inboxDir.empty() || receiver_.joinable()) return;
    std::error_code error;
    fs::create_directories(options_.inboxDir, error);
    if (error) {
        throw std::runtime_error("cannot create the inbox " + options_.inboxDir + ": " +
                                 error.message());
    }
    sink_ = &sink;
    if (!options_.exchangeDir.empty()) {
        if (!isExchangeNumber(line_.number)) {
            throw std::runtime_error(
                "sim.exchange_dir needs the line's number (digits with an optional leading "
                "'+'), got \"" +
                line_.number + "\"");
        }
        for (const char* sub : {"/lines", "/busy"}) {
            fs::create_directories(options_.exchangeDir + sub, error);
            if (error) {
                throw std::runtime_error("cannot create " + options_.exchangeDir + sub + ": " +
                                         error.message());
            }
        }
        std::string inbox = fs::absolute(options_.inboxDir, error).lexically_normal().string();
        if (error) inbox = options_.inboxDir;
        std::string entryPath = options_.exchangeDir + "/lines/" + line_.number;
        std::string ignoredError;
        if (auto previous = readExchangeEntry(entryPath, ignoredError)) {
            if (previous->inboxDir != inbox) {
                logger().warning(
                    "line %s: number %s was registered by line %s (inbox %s); "
                    "taking it over",
                    line_.id, line_.number, previous->lineId, previous->inboxDir);
            }
        }
        Poco::JSON::Object entry(Poco::JSON_PRESERVE_KEY_ORDER);
        entry.set("line", line_.id);
        entry.set("inbox", inbox);
        entry.set("station_id", line_.stationId);
        entry.set("pid", static_cast<int64_t>(::getpid()));
        writeFileAtomically(entryPath, stringify(entry));
        // A claim left by a process that died; a call it announced is still in the inbox.
        ::unlink(claimPath(line_.number).c_str());
        options_.inboxDir = inbox;
        registered_ = true;
    }
    {
        std::lock_guard<std::mutex> lock(stopMutex_);
        stopRequested_ = false;
    }
    receiver_ = std::thread(&SimLine::receiveLoop, this);
}

void SimLine::stopReceiving() {
    {
        std::lock_guard<std::mutex> lock(stopMutex_);
        stopRequested_ = true;
    }
    stopSignal_.notify_all();
    if (receiver_.joinable()) receiver_.join();
    if (registered_.exchange(false)) {
        std::string entryPath = options_.exchangeDir + "/lines/" + line_.number;
        std::string ignoredError;
        auto entry = readExchangeEntry(entryPath, ignoredError);
        // Only our own entry: another line may have taken the number over meanwhile.
        if (entry && entry->inboxDir == options_.inboxDir) ::unlink(entryPath.c_str());
    }
}

bool SimLine::sleepUnlessStopped(int64_t durationMs) {
    std::unique_lock<std::mutex> lock(stopMutex_);
    return !stopSignal_.wait_for(lock, std::chrono::milliseconds(durationMs),
                                 [this] { return stopRequested_; });
}

void SimLine::receiveLoop() {
    bool listingFailed = false;  // log a broken inbox once, not ten times a second
    for (;;) {
        std::vector<std::string> calls;
        std::error_code error;
        for (const auto& entry : fs::directory_iterator(options_.inboxDir, error)) {
            std::string name = entry.path().filename().string();
            if (name.empty() || name[0] == '.' || entry.path().extension() != ".tif") continue;
            calls.push_back(entry.path().string());
        }
        if (error && !listingFailed) {
            logger().error("line %s: cannot read the inbox %s: %s", line_.id, options_.inboxDir,
                           error.message());
        }
        listingFailed = static_cast<bool>(error);
        // Names start with the time of delivery (loop-back) or are the operator's choice:
        // in name order is first come, first served for the former.
        std::sort(calls.begin(), calls.end());
        for (const std::string& call : calls) {
            {
                std::lock_guard<std::mutex> lock(stopMutex_);
                if (stopRequested_) return;
            }
            if (!receiveFromInbox(call)) break;  // the line is busy: ring again later
        }
        if (calls.empty()) dropStaleClaim();
        if (!sleepUnlessStopped(options_.inboxPollMs)) return;
    }
}

void SimLine::dropStaleClaim() {
    if (!registered_ || sending_) return;
    std::string path = claimPath(line_.number);
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) return;
    int64_t ageMs = nowMs() - static_cast<int64_t>(info.st_mtime) * 1000;
    if (ageMs < options_.staleClaimMs) return;
    // Nothing in the inbox and we are not sending: a caller claimed us and died.
    logger().warning("line %s: dropping a claim on %s that no call followed for %s", line_.id,
                     line_.number, formatSeconds(ageMs - ageMs % 1000));
    ::unlink(path.c_str());
}

bool SimLine::receiveFromInbox(const std::string& tiffPath) {
    std::string jsonPath = fs::path(tiffPath).replace_extension(".json").string();
    InboxCall inbox;
    std::error_code ignored;
    if (fs::exists(jsonPath, ignored)) {
        std::string problem;
        try {
            std::optional<std::string> text = readSmallFile(jsonPath, problem);
            if (!text) throw std::invalid_argument(problem);
            Poco::JSON::Parser parser;
            auto object = parser.parse(*text).extract<Poco::JSON::Object::Ptr>();
            if (!object) throw std::invalid_argument("not a JSON object");
            inbox.callerNumber = boundedText(*object, "caller_number", kMaxNumberLength);
            if (!inbox.callerNumber.empty() && !isExchangeNumber(inbox.callerNumber)) {
                throw std::invalid_argument(
                    "caller_number must be digits with an optional "
                    "leading '+'");
            }
            inbox.remoteCsid = boundedText(*object, "remote_csid", 20);
            inbox.result = object->optValue<std::string>("result", reception_result::kOk);
            if (inbox.result != reception_result::kOk &&
                inbox.result != reception_result::kPartial &&
                inbox.result != reception_result::kFailed) {
                throw std::invalid_argument("result must be ok, partial or failed");
            }
            if (object->has("pages")) {
                inbox.pages = object->getValue<int>("pages");
                if (inbox.pages < 0 || inbox.pages > options_.maxPages) {
                    throw std::invalid_argument("pages must be 0.." +
                                                std::to_string(options_.maxPages));
                }
            }
            inbox.viaExchange = object->optValue<bool>("via_exchange", false);
        } catch (const Poco::Exception& e) {
            problem = e.displayText();
        } catch (const std::exception& e) {
            problem = e.what();
        }
        if (!problem.empty()) {
            logger().error("line %s: inbox call %s set aside as .bad: %s", line_.id, jsonPath,
                           problem);
            fs::rename(jsonPath, jsonPath + ".bad", ignored);
            fs::rename(tiffPath, tiffPath + ".bad", ignored);
            return true;
        }
    }

    InboundAnswer answer = sink_->incomingCall(line_.id, inbox.callerNumber);
    if (!answer.accepted) return false;

    ReceptionResult out;
    out.startedMs = nowMs();
    out.calledNumber = line_.number;
    out.callerNumber = inbox.callerNumber;
    out.remoteCsid = inbox.remoteCsid;
    out.bitRate = line_.maxBitRate;
    out.ecm = line_.ecm;
    auto finish = [&](const char* result, std::string reason, bool hasImage) {
        out.result = result;
        out.reason = std::move(reason);
        out.hasImage = hasImage;
        out.endedMs = nowMs();
        sink_->receptionEnded(line_.id, out);
        // The caller's claim on our number ends with the call.
        if (inbox.viaExchange && registered_) ::unlink(claimPath(line_.number).c_str());
        return true;
    };

    // Take the image out of the inbox into the file the node named for it.
    std::error_code sizeError;
    auto imageBytes = fs::file_size(tiffPath, sizeError);
    if (!sizeError && imageBytes > static_cast<uintmax_t>(options_.maxInboxImageBytes)) {
        fs::remove(tiffPath, ignored);
        fs::remove(jsonPath, ignored);
        return finish(
            reception_result::kFailed,
            "the image is larger than " + std::to_string(options_.maxInboxImageBytes) + " bytes",
            false);
    }
    try {
        moveFile(tiffPath, answer.tiffPath);
    } catch (const std::runtime_error& e) {
        fs::remove(jsonPath, ignored);
        return finish(reception_result::kFailed,
                      std::string("the image could not be taken from the inbox: ") + e.what(),
                      false);
    }
    fs::remove(jsonPath, ignored);

    TiffPageCount count = countTiffPages(answer.tiffPath, options_.maxPages);
    if (!count.ok()) {
        return finish(reception_result::kFailed, "the received image is unusable: " + count.error,
                      false);
    }
    out.pagesTotal = count.pages;
    int pagesToReceive = count.pages;
    if (inbox.result == reception_result::kFailed) {
        pagesToReceive = 0;
    } else if (inbox.result == reception_result::kPartial) {
        pagesToReceive = inbox.pages < 0 ? count.pages - 1 : std::min(inbox.pages, count.pages);
    }
    if (pagesToReceive <= 0) {
        return finish(reception_result::kFailed,
                      "the fax session failed before the first page was received", false);
    }
    for (int page = 1; page <= pagesToReceive; ++page) {
        if (!sleepUnlessStopped(options_.pageMs)) {
            int received = page - 1;
            return finish(received > 0 ? reception_result::kPartial : reception_result::kFailed,
                          "the node stopped during the reception after " + pagesInWords(received),
                          received > 0);
        }
        out.pages = page;
    }
    if (inbox.result == reception_result::kPartial) {
        return finish(reception_result::kPartial,
                      "the call ended early after " + pagesInWords(out.pages) + " of " +
                          std::to_string(count.pages),
                      true);
    }
    return finish(reception_result::kOk, "all pages received", true);
}

}  // namespace faxgate::node
