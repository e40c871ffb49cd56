// The spool: atomic record files, oldest first, removal, damaged files, job TIFFs.
#include "faxnode/record_spool.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/faxnode/test_tiff.h"

namespace faxgate::node {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

CommunicationRecord makeRecord(const std::string& id, int64_t endedMs) {
    CommunicationRecord record;
    record.recordId = id;
    record.jobId = 42;
    record.attempt = 3;
    record.nodeId = "node-1";
    record.line = "sim-1";
    record.number = "0312345678";
    record.remoteCsid = "+81 3 1234 5678";
    record.pages = 2;
    record.pagesTotal = 2;
    record.durationMs = 61000;
    record.bitRate = 14400;
    record.ecm = true;
    record.result = "ok";
    record.reason = "all pages confirmed by the receiver";
    record.startedMs = endedMs - 61000;
    record.endedMs = endedMs;
    return record;
}

TEST(RecordSpoolTest, SavedRecordsAreListedOldestFirstAndRemoved) {
    TempDir dir;
    RecordSpool spool(dir.path());
    spool.save(makeRecord("node-1-300-3", 300000));
    spool.save(makeRecord("node-1-100-1", 100000));
    spool.save(makeRecord("node-1-200-2", 200000));

    auto records = spool.list();
    ASSERT_EQ(records.size(), 3u);
    EXPECT_EQ(records[0].recordId, "node-1-100-1");
    EXPECT_EQ(records[1].recordId, "node-1-200-2");
    EXPECT_EQ(records[2].recordId, "node-1-300-3");
    EXPECT_EQ(spool.list(2).size(), 2u);

    std::string error;
    auto parsed = parseCommunicationRecord(records[0].json, error);
    ASSERT_TRUE(parsed) << error;
    EXPECT_EQ(parsed->remoteCsid, "+81 3 1234 5678");
    EXPECT_EQ(parsed->pages, 2);
    EXPECT_TRUE(parsed->ecm);

    spool.remove("node-1-200-2");
    spool.remove("node-1-200-2");  // already gone: not an error
    records = spool.list();
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[1].recordId, "node-1-300-3");
}

TEST(RecordSpoolTest, RecordsSurviveANewSpoolObject) {
    TempDir dir;
    RecordSpool(dir.path()).save(makeRecord("node-1-1-1", 1000));
    RecordSpool reopened(dir.path());
    ASSERT_EQ(reopened.list().size(), 1u);
}

TEST(RecordSpoolTest, LeavesNoTempFilesAndCleansOldOnes) {
    TempDir dir;
    {
        RecordSpool spool(dir.path());
        spool.save(makeRecord("node-1-1-1", 1000));
    }
    std::string records = dir.path() + "/records";
    for (const auto& entry : fs::directory_iterator(records)) {
        EXPECT_EQ(entry.path().filename().string(), "node-1-1-1.json");
    }
    // A write interrupted by a crash leaves a temp file; it is neither listed nor kept.
    testing::writeFile(records + "/.tmp-1-0-node-1-2-2.json", "{\"record_id\":");
    RecordSpool spool(dir.path());
    EXPECT_FALSE(fs::exists(records + "/.tmp-1-0-node-1-2-2.json"));
    EXPECT_EQ(spool.list().size(), 1u);
}

TEST(RecordSpoolTest, DamagedFileIsSetAsideNotListed) {
    TempDir dir;
    RecordSpool spool(dir.path());
    spool.save(makeRecord("node-1-1-1", 1000));
    testing::writeFile(dir.path() + "/records/node-1-9-9.json", "{not json");
    auto records = spool.list();
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].recordId, "node-1-1-1");
    EXPECT_TRUE(fs::exists(dir.path() + "/records/node-1-9-9.json.bad"));
}

TEST(RecordSpoolTest, RejectedRecordIsKeptButNotListed) {
    TempDir dir;
    RecordSpool spool(dir.path());
    spool.save(makeRecord("node-1-1-1", 1000));
    spool.reject("node-1-1-1");
    EXPECT_TRUE(spool.list().empty());
    EXPECT_TRUE(fs::exists(dir.path() + "/records/node-1-1-1.json.rejected"));
}

TEST(RecordSpoolTest, UnsafeRecordIdIsRefused) {
    TempDir dir;
    RecordSpool spool(dir.path());
    EXPECT_THROW(spool.save(makeRecord("../escape", 1)), SpoolError);
    EXPECT_THROW(spool.save(makeRecord("", 1)), SpoolError);
    EXPECT_FALSE(isSafeRecordId(".hidden"));
    EXPECT_TRUE(isSafeRecordId("node-1-1732512345678-7"));
}

TEST(RecordSpoolTest, JobTiffsAreStoredAndRemovedAndStaleOnesCleaned) {
    TempDir dir;
    std::string path;
    {
        RecordSpool spool(dir.path());
        path = spool.storeJobTiff(42, 3, std::string("II*\0tiff-bytes", 14));
        EXPECT_EQ(path, dir.path() + "/jobs/42-3.tif");
        EXPECT_EQ(testing::readFile(path), std::string("II*\0tiff-bytes", 14));
        spool.removeJobTiff(42, 3);
        EXPECT_FALSE(fs::exists(path));
        spool.storeJobTiff(43, 1, "left over by a crash");
    }
    RecordSpool restarted(dir.path());
    EXPECT_FALSE(fs::exists(dir.path() + "/jobs/43-1.tif"));
}

TEST(RecordSpoolTest, UnwritableSpoolDirectoryIsAnError) {
    EXPECT_THROW(RecordSpool("/proc/faxnode-cannot-exist"), SpoolError);
}

TEST(RecordSpoolTest, ReceptionsSurviveARestartAndAreRemovedTogether) {
    TempDir dir;
    std::string image = std::string("II*\0", 4) + "received image";
    {
        RecordSpool spool(dir.path());
        CommunicationRecord record = makeRecord("node-1-500-9", 500000);
        record.direction = "receive";
        record.calledNumber = "0312345001";
        record.callerNumber = "0398765432";
        std::string receiving = spool.inboundReceivePath("sim-1");
        testing::writeFile(receiving, image);
        spool.saveInbound(record, receiving);
        EXPECT_FALSE(fs::exists(receiving));
        spool.saveInbound(makeRecord("node-1-400-8", 400000), "");  // failed: no image
        // A reception in progress when the process died.
        testing::writeFile(spool.inboundReceivePath("sim-2"), "half");
    }
    RecordSpool spool(dir.path());  // the restart
    EXPECT_FALSE(fs::exists(spool.inboundReceivePath("sim-2")));
    auto receptions = spool.listInbound();
    ASSERT_EQ(receptions.size(), 2u);
    EXPECT_EQ(receptions[0].recordId, "node-1-400-8");
    EXPECT_TRUE(receptions[0].tiffPath.empty());
    EXPECT_EQ(receptions[1].recordId, "node-1-500-9");
    EXPECT_EQ(testing::readFile(receptions[1].tiffPath), image);
    std::string error;
    auto parsed = parseCommunicationRecord(receptions[1].json, error);
    ASSERT_TRUE(parsed) << error;
    EXPECT_EQ(parsed->direction, "receive");
    EXPECT_EQ(parsed->calledNumber, "0312345001");
    EXPECT_EQ(parsed->callerNumber, "0398765432");
    // Receptions are not records: the records list does not show them.
    EXPECT_TRUE(spool.list().empty());

    spool.removeInbound("node-1-500-9");
    spool.removeInbound("node-1-500-9");  // already gone: not an error
    EXPECT_FALSE(fs::exists(receptions[1].tiffPath));
    spool.rejectInbound("node-1-400-8");
    EXPECT_TRUE(spool.listInbound().empty());
    EXPECT_TRUE(fs::exists(dir.path() + "/inbound/node-1-400-8.json.rejected"));
}

TEST(RecordSpoolTest, ImageWithoutItsRecordIsRemovedAtStart) {
    TempDir dir;
    { RecordSpool spool(dir.path()); }
    testing::writeFile(dir.path() + "/inbound/node-1-1-1.tif", "orphan");
    RecordSpool spool(dir.path());
    EXPECT_FALSE(fs::exists(dir.path() + "/inbound/node-1-1-1.tif"));
    EXPECT_TRUE(spool.listInbound().empty());
}

}  // namespace
}  // namespace faxgate::node
