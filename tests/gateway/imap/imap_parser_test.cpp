// IMAP command framing and parsing: tokens, literals, limits, sequence sets, FETCH items.
#include "gateway/imap/imap_parser.h"

#include <gtest/gtest.h>

namespace faxgate::gateway {
namespace {

TEST(ImapParserTest, ParsesTagNameAndArguments) {
    const auto result = parseImapCommand("a1 login \"alice\" {3}\r\nx y");
    ASSERT_TRUE(result.command) << result.error;
    EXPECT_EQ(result.command->tag, "a1");
    EXPECT_EQ(result.command->name, "LOGIN");
    ASSERT_EQ(result.command->args.size(), 2u);
    EXPECT_EQ(result.command->args[0].text, "alice");
    EXPECT_EQ(result.command->args[1].text, "x y");
}

TEST(ImapParserTest, KeepsBodySectionsInOneToken) {
    const auto result =
        parseImapCommand("t FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)]<0.1024>)");
    ASSERT_TRUE(result.command) << result.error;
    ASSERT_EQ(result.command->args.size(), 2u);
    const ImapValue& list = result.command->args[1];
    ASSERT_TRUE(list.isList());
    ASSERT_EQ(list.items.size(), 2u);
    std::string error;
    const auto items = parseImapFetchItems(list, error);
    ASSERT_TRUE(items) << error;
    ASSERT_EQ(items->size(), 2u);
    const ImapFetchItem& body = (*items)[1];
    EXPECT_EQ(body.kind, ImapFetchItem::Kind::BodySection);
    EXPECT_TRUE(body.peek);
    EXPECT_EQ(body.section.label(), "HEADER.FIELDS (SUBJECT FROM)");
    ASSERT_TRUE(body.partial);
    EXPECT_EQ(body.partial->first, 0u);
    EXPECT_EQ(body.partial->second, 1024u);
}

TEST(ImapParserTest, FetchItemsAndMacros) {
    std::string error;
    ImapValue value;
    value.text = "BODY.PEEK[1.2]<5.10>";
    auto items = parseImapFetchItems(value, error);
    ASSERT_TRUE(items) << error;
    EXPECT_EQ((*items)[0].section.part, (std::vector<int>{1, 2}));
    value.text = "FULL";
    items = parseImapFetchItems(value, error);
    ASSERT_TRUE(items);
    EXPECT_EQ(items->size(), 5u);
    value.text = "FAST";
    EXPECT_EQ(parseImapFetchItems(value, error)->size(), 3u);
    for (const char* bad : {"BODY[0]", "BODY[1.]", "BODY[FOO]", "BODY[]<1>", "BODY[]<1.0>",
                            "FLAGSX", "BODY[HEADER.FIELDS]", "BODY[MIME]"}) {
        value.text = bad;
        EXPECT_FALSE(parseImapFetchItems(value, error)) << bad;
        EXPECT_FALSE(error.empty());
    }
}

TEST(ImapParserTest, RefusesBadSyntaxWithReason) {
    for (const char* bad : {"", "a", "a \"unterminated", "a LOGIN (x", "a LOGIN x)",
                            "a FETCH 1 BODY[", "+ x", "a LOGIN {5}\r\nab"}) {
        const auto result = parseImapCommand(bad);
        EXPECT_FALSE(result.command) << bad;
        EXPECT_FALSE(result.error.empty()) << bad;
    }
    EXPECT_EQ(parseImapCommand("a1 LOGIN (x").tag, "a1");
}

TEST(ImapParserTest, LimitsNestingDepth) {
    std::string deep = "a X ";
    for (int i = 0; i < 40; ++i) deep += "(";
    for (int i = 0; i < 40; ++i) deep += ")";
    const auto result = parseImapCommand(deep);
    EXPECT_FALSE(result.command);
    EXPECT_NE(result.error.find("nested"), std::string::npos);
}

TEST(ImapParserTest, SequenceSets) {
    const auto set = parseImapSequenceSet("2,4:7,*");
    ASSERT_TRUE(set);
    EXPECT_TRUE(set->contains(2, 10));
    EXPECT_FALSE(set->contains(3, 10));
    EXPECT_TRUE(set->contains(5, 10));
    EXPECT_TRUE(set->contains(10, 10));
    EXPECT_FALSE(set->contains(9, 10));
    const auto reversed = parseImapSequenceSet("*:3");
    ASSERT_TRUE(reversed);
    EXPECT_TRUE(reversed->contains(4, 5));
    EXPECT_FALSE(reversed->contains(2, 5));
    for (const char* bad : {"", "0", "1:", ",1", "1,,2", "a", "4294967296", "1:2:3"})
        EXPECT_FALSE(parseImapSequenceSet(bad)) << bad;
}

TEST(ImapReaderTest, SynchronisingLiteralAsksForContinuation) {
    ImapCommandReader reader(ImapReaderLimits{});
    std::string command;
    reader.append("a LOGIN {5}\r\n");
    EXPECT_EQ(reader.next(command), ImapCommandReader::Status::Continuation);
    EXPECT_EQ(reader.next(command), ImapCommandReader::Status::NeedMore);
    reader.append("alice {6+}\r\nsecret\r\nb NOOP\r\n");
    ASSERT_EQ(reader.next(command), ImapCommandReader::Status::Command);
    EXPECT_EQ(command, "a LOGIN {5}\r\nalice {6+}\r\nsecret");
    ASSERT_EQ(reader.next(command), ImapCommandReader::Status::Command);
    EXPECT_EQ(command, "b NOOP");
}

TEST(ImapReaderTest, EnforcesLineAndLiteralLimits) {
    ImapCommandReader reader(ImapReaderLimits{64, 100});
    std::string command;
    reader.append(std::string(100, 'x'));
    EXPECT_EQ(reader.next(command), ImapCommandReader::Status::LineTooLong);
    reader.append("still the long line\r\na NOOP\r\n");
    ASSERT_EQ(reader.next(command), ImapCommandReader::Status::Command);
    EXPECT_EQ(command, "a NOOP");
    reader.append("b LOGIN {101}\r\n");
    EXPECT_EQ(reader.next(command), ImapCommandReader::Status::LiteralTooLarge);
    EXPECT_TRUE(reader.literalWasSynchronising());
    EXPECT_EQ(command, "b LOGIN {101}");
}

}  // namespace
}  // namespace faxgate::gateway
