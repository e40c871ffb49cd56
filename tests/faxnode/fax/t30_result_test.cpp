// The phase E -> communication record mapping (docs/sip-line.md's table), row by row.
#include "faxnode/fax/t30_result.h"

#include <gtest/gtest.h>
#include <spandsp.h>

namespace faxgate::node::fax {
namespace {

T30Result sent(int code, bool peer, int pages, int total) {
    T30Result r;
    r.role = FaxRole::kCaller;
    r.completionCode = code;
    r.completionText = t30_completion_code_to_str(code);
    r.faxPeerSeen = peer;
    r.pages = pages;
    r.pagesTotal = total;
    return r;
}

T30Result received(int code, bool peer, int pages) {
    T30Result r = sent(code, peer, pages, pages);
    r.role = FaxRole::kAnswerer;
    return r;
}

TEST(T30ResultTest, SentFaxIsOkOnlyWhenEveryPageWasConfirmed) {
    EXPECT_EQ(toRecordOutcome(sent(T30_ERR_OK, true, 3, 3)).result, "ok");
    EXPECT_EQ(toRecordOutcome(sent(T30_ERR_OK, true, 3, 3)).reason,
              "all 3 pages confirmed by the receiver");
    // SpanDSP's OK with pages missing, or with none at all, is never "done".
    EXPECT_EQ(toRecordOutcome(sent(T30_ERR_OK, true, 2, 3)).result, "failed");
    EXPECT_EQ(toRecordOutcome(sent(T30_ERR_OK, true, 0, 0)).result, "failed");
}

TEST(T30ResultTest, NoFaxPeerIsNoAnswerOrNoCarrier) {
    const RecordOutcome timeout = toRecordOutcome(sent(T30_ERR_T0_EXPIRED, false, 0, 3));
    EXPECT_EQ(timeout.result, "no_answer");
    EXPECT_NE(timeout.reason.find("Timed out waiting for initial communication"), std::string::npos)
        << timeout.reason;
    EXPECT_EQ(toRecordOutcome(sent(T30_ERR_T1_EXPIRED, false, 0, 3)).result, "no_answer");
    EXPECT_EQ(toRecordOutcome(sent(T30_ERR_CALLDROPPED, false, 0, 3)).result, "no_carrier");
}

TEST(T30ResultTest, FailureAfterTheFaxPeerAnsweredIsFailedWithConfirmedPages) {
    const RecordOutcome dropped = toRecordOutcome(sent(T30_ERR_CALLDROPPED, true, 1, 3));
    EXPECT_EQ(dropped.result, "failed");
    EXPECT_NE(dropped.reason.find("1 of 3 pages confirmed"), std::string::npos);
    EXPECT_NE(dropped.reason.find("The call dropped prematurely"), std::string::npos);
    EXPECT_EQ(toRecordOutcome(sent(T30_ERR_TX_PHDDEAD, true, 2, 3)).result, "failed");
}

TEST(T30ResultTest, DocumentErrorsAreFailedWhateverTheLineDid) {
    const RecordOutcome unreadable = toRecordOutcome(sent(T30_ERR_FILEERROR, true, 0, 0));
    EXPECT_EQ(unreadable.result, "failed");
    EXPECT_NE(unreadable.reason.find("document could not be sent"), std::string::npos);
    EXPECT_EQ(toRecordOutcome(sent(T30_ERR_BADTIFF, false, 0, 0)).result, "failed");
}

TEST(T30ResultTest, ReceptionIsOkPartialOrFailed) {
    EXPECT_EQ(toRecordOutcome(received(T30_ERR_OK, true, 3)).result, "ok");
    EXPECT_EQ(toRecordOutcome(received(T30_ERR_OK, true, 3)).reason, "all 3 pages received");
    const RecordOutcome partial = toRecordOutcome(received(T30_ERR_RX_DCNDATA, true, 2));
    EXPECT_EQ(partial.result, "partial");
    EXPECT_NE(partial.reason.find("2 pages received"), std::string::npos);
    EXPECT_EQ(toRecordOutcome(received(T30_ERR_CALLDROPPED, true, 0)).result, "failed");
    EXPECT_EQ(toRecordOutcome(received(T30_ERR_T1_EXPIRED, false, 0)).result, "failed");
    EXPECT_EQ(toRecordOutcome(received(T30_ERR_OK, true, 0)).result, "failed");
}

}  // namespace
}  // namespace faxgate::node::fax
