// The node's spool directory; see record_spool.h.
#include "faxnode/record_spool.h"

#include <Poco/Logger.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace faxgate::node {
namespace fs = std::filesystem;
namespace {

constexpr const char* kTempPrefix = ".tmp-";
constexpr const char* kReceivingPrefix = ".receiving-";
constexpr size_t kMaxRecordFileBytes = 1024 * 1024;  // a record is < 2 KB; more is damage

std::string errnoText(const std::string& what, const std::string& path) {
    return what + " " + path + ": " + std::strerror(errno);
}

class FileDescriptor {
  public:
    explicit FileDescriptor(int fd) : fd_(fd) {}
    ~FileDescriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    int get() const { return fd_; }
    // close() reports deferred write errors (NFS, quota), so its result matters.
    int release() {
        int result = ::close(fd_);
        fd_ = -1;
        return result;
    }

  private:
    int fd_;
};

void fsyncDirectory(const std::string& directory) {
    FileDescriptor dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() < 0) throw SpoolError(errnoText("cannot open directory", directory));
    if (::fsync(dir.get()) != 0) throw SpoolError(errnoText("cannot fsync directory", directory));
}

void createDirectory(const std::string& path) {
    std::error_code error;
    fs::create_directories(path, error);
    if (error) throw SpoolError("cannot create directory " + path + ": " + error.message());
}

bool readSmallFile(const fs::path& path, std::string& content) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    content.assign(kMaxRecordFileBytes + 1, '\0');
    in.read(content.data(), static_cast<std::streamsize>(content.size()));
    content.resize(static_cast<size_t>(in.gcount()));
    return !in.bad() && content.size() <= kMaxRecordFileBytes;
}

}  // namespace

bool isSafeRecordId(const std::string& recordId) {
    if (recordId.empty() || recordId.size() > 200 || recordId[0] == '.') return false;
    return std::all_of(recordId.begin(), recordId.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
    });
}

RecordSpool::RecordSpool(std::string spoolDir)
    : spoolDir_(std::move(spoolDir)),
      recordsDir_(spoolDir_ + "/records"),
      jobsDir_(spoolDir_ + "/jobs"),
      inboundDir_(spoolDir_ + "/inbound") {
    createDirectory(recordsDir_);
    createDirectory(jobsDir_);
    createDirectory(inboundDir_);
    // A temp file is a write that never reached its rename; a job TIFF belongs to a call of a
    // process that is gone (calls are not resumed: the gateway retries the attempt).
    std::error_code error;
    for (const std::string& directory : {recordsDir_, jobsDir_}) {
        for (const auto& entry : fs::directory_iterator(directory, error)) {
            std::string name = entry.path().filename().string();
            bool stale = name.rfind(kTempPrefix, 0) == 0 || directory == jobsDir_;
            if (stale && entry.is_regular_file()) {
                std::error_code ignored;
                fs::remove(entry.path(), ignored);
            }
        }
        if (error) throw SpoolError("cannot read directory " + directory + ": " + error.message());
    }
    // A reception in progress cannot go on in a new process; an image without its record is
    // one whose record was never committed (the crash came between the two renames).
    for (const auto& entry : fs::directory_iterator(inboundDir_, error)) {
        std::string name = entry.path().filename().string();
        bool stale = name.rfind(kTempPrefix, 0) == 0 || name.rfind(kReceivingPrefix, 0) == 0 ||
                     (entry.path().extension() == ".tif" &&
                      !fs::exists(fs::path(entry.path()).replace_extension(".json")));
        if (stale && entry.is_regular_file()) {
            Poco::Logger::get("faxnode.spool")
                .warning("removing %s left by a previous process", entry.path().string());
            std::error_code ignored;
            fs::remove(entry.path(), ignored);
        }
    }
    if (error) throw SpoolError("cannot read directory " + inboundDir_ + ": " + error.message());
}

std::string RecordSpool::recordPath(const std::string& recordId) const {
    return recordsDir_ + "/" + recordId + ".json";
}

std::string RecordSpool::jobTiffPath(int64_t jobId, int attempt) const {
    return jobsDir_ + "/" + std::to_string(jobId) + "-" + std::to_string(attempt) + ".tif";
}

void RecordSpool::writeFileAtomically(const std::string& directory, const std::string& path,
                                      const std::string& content, bool durable) const {
    static std::atomic<uint64_t> tempCounter{0};
    std::string tempPath = directory + "/" + kTempPrefix + std::to_string(::getpid()) + "-" +
                           std::to_string(tempCounter.fetch_add(1)) + "-" +
                           fs::path(path).filename().string();
    FileDescriptor file(
        ::open(tempPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640));
    if (file.get() < 0) throw SpoolError(errnoText("cannot create", tempPath));
    auto fail = [&](const std::string& what) {
        SpoolError error(errnoText(what, tempPath));
        ::unlink(tempPath.c_str());
        throw error;
    };
    size_t written = 0;
    while (written < content.size()) {
        ssize_t n = ::write(file.get(), content.data() + written, content.size() - written);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("cannot write");
        }
        written += static_cast<size_t>(n);
    }
    if (durable && ::fsync(file.get()) != 0) fail("cannot fsync");
    if (file.release() != 0) fail("cannot close");
    if (::rename(tempPath.c_str(), path.c_str()) != 0) fail("cannot rename to " + path + ":");
    if (durable) fsyncDirectory(directory);
}

void RecordSpool::save(const CommunicationRecord& record) {
    if (!isSafeRecordId(record.recordId)) {
        throw SpoolError("record ID \"" + record.recordId + "\" cannot be a file name");
    }
    writeFileAtomically(recordsDir_, recordPath(record.recordId), toJson(record) + "\n",
                        /*durable=*/true);
}

// Reads the record files of `directory`, quarantining damaged ones; unsorted, unlimited.
static std::vector<SpooledRecord> readRecordFiles(const std::string& directory,
                                                  std::mutex& quarantineMutex) {
    std::vector<SpooledRecord> records;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(directory, error)) {
        std::string name = entry.path().filename().string();
        if (name.rfind(kTempPrefix, 0) == 0 || entry.path().extension() != ".json") continue;
        std::string content;
        std::string parseError = "cannot read the file or it is larger than 1 MiB";
        std::optional<CommunicationRecord> record;
        if (readSmallFile(entry.path(), content)) {
            record = parseCommunicationRecord(content, parseError);
        }
        if (record && entry.path().stem().string() != record->recordId) {
            record.reset();
            parseError = "the file name does not match its record_id";
        }
        if (!record) {
            // Quarantine instead of retrying forever: the file would block nothing but would
            // fill the log at every pass.
            std::lock_guard<std::mutex> lock(quarantineMutex);
            std::error_code ignored;
            fs::rename(entry.path(), entry.path().string() + ".bad", ignored);
            Poco::Logger::get("faxnode.spool")
                .error("damaged record file %s renamed to .bad: %s", entry.path().string(),
                       parseError);
            continue;
        }
        while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) {
            content.pop_back();
        }
        records.push_back({record->recordId, std::move(content), record->endedMs});
    }
    if (error) throw SpoolError("cannot read directory " + directory + ": " + error.message());
    std::sort(records.begin(), records.end(), [](const SpooledRecord& a, const SpooledRecord& b) {
        return a.endedMs != b.endedMs ? a.endedMs < b.endedMs : a.recordId < b.recordId;
    });
    return records;
}

std::vector<SpooledRecord> RecordSpool::list(size_t maxCount) const {
    std::vector<SpooledRecord> records = readRecordFiles(recordsDir_, quarantineMutex_);
    if (records.size() > maxCount) records.resize(maxCount);
    return records;
}

void RecordSpool::remove(const std::string& recordId) {
    if (!isSafeRecordId(recordId)) return;
    std::string path = recordPath(recordId);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        throw SpoolError(errnoText("cannot remove", path));
    }
    // Without this a crash could bring the record back and post it twice; the gateway
    // would accept that (idempotent by record_id), but it costs nothing to avoid.
    fsyncDirectory(recordsDir_);
}

void RecordSpool::reject(const std::string& recordId) {
    if (!isSafeRecordId(recordId)) return;
    std::string path = recordPath(recordId);
    if (::rename(path.c_str(), (path + ".rejected").c_str()) != 0 && errno != ENOENT) {
        throw SpoolError(errnoText("cannot rename", path));
    }
    fsyncDirectory(recordsDir_);
}

std::string RecordSpool::storeJobTiff(int64_t jobId, int attempt, const std::string& tiffBytes) {
    std::string path = jobTiffPath(jobId, attempt);
    // Not fsynced: a job TIFF is worthless after a crash (the spool deletes it at start-up).
    writeFileAtomically(jobsDir_, path, tiffBytes, /*durable=*/false);
    return path;
}

void RecordSpool::removeJobTiff(int64_t jobId, int attempt) {
    std::string path = jobTiffPath(jobId, attempt);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        Poco::Logger::get("faxnode.spool")
            .warning("cannot remove %s: %s", path, std::string(std::strerror(errno)));
    }
}

std::string RecordSpool::inboundReceivePath(const std::string& lineId) const {
    return inboundDir_ + "/" + kReceivingPrefix + lineId + ".tif";
}

void RecordSpool::saveInbound(const CommunicationRecord& record,
                              const std::string& receivedTiffPath) {
    if (!isSafeRecordId(record.recordId)) {
        throw SpoolError("record ID \"" + record.recordId + "\" cannot be a file name");
    }
    std::string base = inboundDir_ + "/" + record.recordId;
    if (!receivedTiffPath.empty()) {
        std::string imagePath = base + ".tif";
        // Make the received bytes durable before they get their final name.
        FileDescriptor image(::open(receivedTiffPath.c_str(), O_RDONLY | O_CLOEXEC));
        if (image.get() >= 0) {
            if (::fsync(image.get()) != 0) {
                throw SpoolError(errnoText("cannot fsync", receivedTiffPath));
            }
            image.release();
            if (::rename(receivedTiffPath.c_str(), imagePath.c_str()) != 0) {
                throw SpoolError(
                    errnoText("cannot rename to " + imagePath + ":", receivedTiffPath));
            }
        } else if (errno != ENOENT || !fs::exists(imagePath)) {
            // ENOENT with the image in place: an earlier try moved it and then failed.
            throw SpoolError(errnoText("cannot open", receivedTiffPath));
        }
    }
    writeFileAtomically(inboundDir_, base + ".json", toJson(record) + "\n", /*durable=*/true);
}

std::vector<SpooledInbound> RecordSpool::listInbound(size_t maxCount) const {
    std::vector<SpooledInbound> receptions;
    for (SpooledRecord& record : readRecordFiles(inboundDir_, quarantineMutex_)) {
        if (receptions.size() >= maxCount) break;
        std::string imagePath = inboundDir_ + "/" + record.recordId + ".tif";
        std::error_code ignored;
        if (!fs::exists(imagePath, ignored)) imagePath.clear();
        receptions.push_back(
            {record.recordId, std::move(record.json), std::move(imagePath), record.endedMs});
    }
    return receptions;
}

void RecordSpool::removeInbound(const std::string& recordId) {
    if (!isSafeRecordId(recordId)) return;
    std::string base = inboundDir_ + "/" + recordId;
    // The record first: a crash in between leaves an image without a record, which the next
    // start removes, never a record that would be posted again without its image.
    for (const std::string& path : {base + ".json", base + ".tif"}) {
        if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
            throw SpoolError(errnoText("cannot remove", path));
        }
    }
    fsyncDirectory(inboundDir_);
}

void RecordSpool::rejectInbound(const std::string& recordId) {
    if (!isSafeRecordId(recordId)) return;
    std::string base = inboundDir_ + "/" + recordId;
    // The record first: once it is set aside nothing lists the reception any more.
    for (const std::string& path : {base + ".json", base + ".tif"}) {
        if (::rename(path.c_str(), (path + ".rejected").c_str()) != 0 && errno != ENOENT) {
            throw SpoolError(errnoText("cannot rename", path));
        }
    }
    fsyncDirectory(inboundDir_);
}

}  // namespace faxgate::node
