// The node's spool directory: the place where everything that must survive a crash lives.
//   <spool_dir>/records/<record_id>.json  communication records not yet acknowledged by the
//                                         gateway (written before the line is freed, removed
//                                         when the gateway answers 200)
//   <spool_dir>/jobs/<job>-<attempt>.tif   the pages of a call in progress (deleted after it)
//   <spool_dir>/inbound/<record_id>.json  reception records not yet acknowledged, each with
//   <spool_dir>/inbound/<record_id>.tif   its received image (absent for a failed reception);
//                                         the .json is written last and is the commit point
//   <spool_dir>/inbound/.receiving-<line>.tif  the image of a reception in progress
//   <spool_dir>/inbox/<line>/             the sim driver's inbox (lines/sim_line.h), not ours
//   <spool_dir>/settings.json             central settings in use (settings_applier.h), not ours
// Records are written atomically (temp file, fsync, rename, fsync of the directory), so after a
// crash a record file is either complete or absent. Like Postfix's queue, the file system is
// the database; the gateway link re-reads the directory, so records written before a restart
// are posted after it.
#pragma once

#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "faxnode/communication_record.h"

namespace faxgate::node {

class SpoolError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// A record waiting in the spool: its ID and the JSON text exactly as it will be posted.
struct SpooledRecord {
    std::string recordId;
    std::string json;
    int64_t endedMs = 0;
};

// A reception waiting in the spool: the record's JSON text exactly as it will be posted, and
// its image file (empty when the reception left no image).
struct SpooledInbound {
    std::string recordId;
    std::string json;
    std::string tiffPath;
    int64_t endedMs = 0;
};

// Thread-safety: all methods may be called from any thread; saving, listing and removing do
// not need to be serialised (each record is its own file and rename is atomic), the mutex
// only guards the quarantine of damaged files.
class RecordSpool {
  public:
    // Creates the directories if missing and removes leftovers of a previous process (temp
    // files, TIFFs of calls that can no longer finish). Throws SpoolError naming the path.
    explicit RecordSpool(std::string spoolDir);

    const std::string& directory() const { return spoolDir_; }

    // Writes the record durably. Throws SpoolError (e.g. disk full) naming the file.
    void save(const CommunicationRecord& record);

    // Records waiting, oldest (by ended_ms, then ID) first, at most `maxCount`. A file that
    // cannot be parsed is renamed to "<name>.bad" so it never blocks the others, and logged.
    std::vector<SpooledRecord> list(size_t maxCount = 100) const;

    // Removes an acknowledged record; a record already gone is not an error.
    void remove(const std::string& recordId);

    // Sets aside a record the gateway refused for good (e.g. 400): renamed to
    // "<record_id>.json.rejected" so it stays for the administrator but is never posted again.
    void reject(const std::string& recordId);

    // Stores the pages of a call while it runs; returns the path. Throws SpoolError.
    std::string storeJobTiff(int64_t jobId, int attempt, const std::string& tiffBytes);
    void removeJobTiff(int64_t jobId, int attempt);
    std::string jobTiffPath(int64_t jobId, int attempt) const;

    // The file line `lineId` receives its current call into (one call per line at a time).
    std::string inboundReceivePath(const std::string& lineId) const;

    // Keeps a finished reception: moves `receivedTiffPath` (empty: no image) to
    // "<record_id>.tif", then writes "<record_id>.json" atomically, both fsynced. May be
    // called again after a failure. Throws SpoolError.
    void saveInbound(const CommunicationRecord& record, const std::string& receivedTiffPath);

    // Receptions waiting, oldest first, at most `maxCount`; damaged record files are renamed
    // to ".bad" like in list().
    std::vector<SpooledInbound> listInbound(size_t maxCount = 100) const;

    // Removes an acknowledged reception (record and image); already gone is not an error.
    void removeInbound(const std::string& recordId);

    // Sets aside a reception the gateway refused for good: both files get ".rejected".
    void rejectInbound(const std::string& recordId);

  private:
    std::string recordPath(const std::string& recordId) const;
    // temp file in the same directory, write, fsync, rename over `path`, fsync the directory
    // (the fsyncs only when `durable`)
    void writeFileAtomically(const std::string& directory, const std::string& path,
                             const std::string& content, bool durable) const;

    const std::string spoolDir_;
    const std::string recordsDir_;
    const std::string jobsDir_;
    const std::string inboundDir_;
    mutable std::mutex quarantineMutex_;
};

// A record ID is used as a file name, so it is limited to [A-Za-z0-9._-], 1..200 characters,
// and must not start with '.'.
bool isSafeRecordId(const std::string& recordId);

}  // namespace faxgate::node
