// The SIP failure -> record result table (call_outcome.h, docs/sip-line.md).
#include "faxnode/sip/call_outcome.h"

#include <gtest/gtest.h>

namespace faxgate::node::sip {
namespace {

TEST(CallOutcome, MapsFinalStatusesToResultCodes) {
    struct Row {
        int status;
        const char* result;
    };
    const Row rows[] = {
        {486, "busy"},       {600, "busy"},       {408, "no_answer"},  {480, "no_answer"},
        {487, "no_answer"},  {404, "rejected"},   {410, "rejected"},   {484, "rejected"},
        {485, "rejected"},   {604, "rejected"},   {403, "no_carrier"}, {488, "no_carrier"},
        {500, "no_carrier"}, {503, "no_carrier"}, {603, "no_carrier"}, {302, "no_carrier"},
        {904, "no_carrier"},
    };
    for (const Row& row : rows) {
        EXPECT_EQ(classifyFailedInvite(row.status, "Phrase").result, row.result) << row.status;
    }
}

TEST(CallOutcome, ReasonsNameTheStatus) {
    EXPECT_EQ(classifyFailedInvite(486, "Busy Here").reason,
              "the number is busy (SIP 486 Busy Here)");
    EXPECT_EQ(classifyFailedInvite(403, "Forbidden").reason,
              "the call failed before it was answered (SIP 403 Forbidden)");
    EXPECT_EQ(classifyFailedInvite(503, "").reason,
              "the call failed before it was answered (SIP 503)");
}

TEST(CallOutcome, TimerAndCancel) {
    EXPECT_EQ(noAnswerOutcome(60000).result, "no_answer");
    EXPECT_EQ(noAnswerOutcome(60000).reason, "no answer within 60 s (call cancelled)");
    EXPECT_EQ(noAnswerOutcome(250).reason, "no answer within 250 ms (call cancelled)");
    EXPECT_EQ(cancelledOutcome().result, "cancelled");
}

}  // namespace
}  // namespace faxgate::node::sip
