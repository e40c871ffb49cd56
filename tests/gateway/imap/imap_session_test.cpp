// ImapSession as a state machine over a temporary SQLite store: login, folders, FETCH,
// STORE, SEARCH, EXPUNGE arithmetic, UIDs, IDLE, and a fuzz run.
#include "gateway/imap/imap_session.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "tests/gateway/imap/imap_test_support.h"

namespace faxgate::gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ImapSessionTest : public ::testing::Test {
  protected:
    void SetUp() override {
        temp_.addUser("alice", "secret");
        temp_.addUser("bob", "hunter2");
        session_ = makeSession();
    }

    std::unique_ptr<ImapSession> makeSession(ImapSessionOptions options = {}) {
        return std::make_unique<ImapSession>(options, temp_.store(), recent_);
    }

    std::string send(const std::string& bytes, ImapSession* session = nullptr) {
        std::string out;
        (session ? session : session_.get())->consume(bytes, out);
        return out;
    }

    void loginAndSelect(const std::string& folder = "INBOX") {
        ASSERT_THAT(send("l LOGIN alice secret\r\n"), HasSubstr("l OK"));
        ASSERT_THAT(send("s SELECT \"" + folder + "\"\r\n"), HasSubstr("s OK [READ-WRITE]"));
    }

    testing::TempStore temp_;
    ImapRecentRegistry recent_;
    std::unique_ptr<ImapSession> session_;
};

TEST_F(ImapSessionTest, GreetingAndCapability) {
    EXPECT_THAT(session_->greeting(), HasSubstr("* OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE"));
    EXPECT_THAT(send("c CAPABILITY\r\n"), HasSubstr("AUTH=PLAIN"));
    ImapSessionOptions tlsOnly;
    tlsOnly.tlsAvailable = true;
    tlsOnly.allowPlaintextLogin = false;
    auto strict = makeSession(tlsOnly);
    const std::string caps = send("c CAPABILITY\r\n", strict.get());
    EXPECT_THAT(caps, HasSubstr("STARTTLS"));
    EXPECT_THAT(caps, HasSubstr("LOGINDISABLED"));
    EXPECT_THAT(send("l LOGIN alice secret\r\n", strict.get()),
                HasSubstr("l NO [PRIVACYREQUIRED]"));
    std::string out;
    EXPECT_EQ(strict->consume("t STARTTLS\r\nx LOGIN alice secret\r\n", out), ImapAction::StartTls);
    EXPECT_THAT(out, HasSubstr("t OK"));
    EXPECT_THAT(out, Not(HasSubstr("x ")));  // pipelined after STARTTLS: dropped
    strict->tlsStarted();
    EXPECT_THAT(send("l LOGIN alice secret\r\n", strict.get()), HasSubstr("l OK"));
}

TEST_F(ImapSessionTest, LoginRefusalsAndLimit) {
    EXPECT_THAT(send("a SELECT INBOX\r\n"), HasSubstr("a BAD"));
    EXPECT_THAT(send("a LOGIN alice wrong\r\n"), HasSubstr("a NO [AUTHENTICATIONFAILED]"));
    EXPECT_THAT(send("b LOGIN nobody secret\r\n"), HasSubstr("b NO [AUTHENTICATIONFAILED]"));
    std::string out;
    EXPECT_EQ(session_->consume("c LOGIN alice wrong2\r\n", out), ImapAction::Close);
    EXPECT_THAT(out, HasSubstr("* BYE"));
    EXPECT_TRUE(session_->closed());
    EXPECT_EQ(session_->summary().authFailures, 3);
}

TEST_F(ImapSessionTest, AuthenticatePlainWithContinuationAndLiteralLogin) {
    EXPECT_EQ(send("a AUTHENTICATE PLAIN\r\n"), "+ \r\n");
    // "\0alice\0secret"
    EXPECT_THAT(send("AGFsaWNlAHNlY3JldA==\r\n"), HasSubstr("a OK"));
    auto second = makeSession();
    EXPECT_THAT(send("a AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n", second.get()),
                HasSubstr("a OK"));
    auto third = makeSession();
    EXPECT_EQ(send("a LOGIN {5}\r\n", third.get()), "+ Ready for literal data\r\n");
    EXPECT_THAT(send("alice {6+}\r\nsecret\r\n", third.get()), HasSubstr("a OK"));
}

TEST_F(ImapSessionTest, ListAndStatus) {
    send("l LOGIN alice secret\r\n");
    const std::string all = send("a LIST \"\" \"*\"\r\n");
    EXPECT_THAT(all, HasSubstr("* LIST (\\HasNoChildren) \"/\" \"INBOX\""));
    EXPECT_THAT(all, HasSubstr("* LIST (\\HasNoChildren) \"/\" \"Sent Faxes\""));
    const std::string inbox = send("b LIST \"\" inbox\r\n");
    EXPECT_THAT(inbox, HasSubstr("\"INBOX\""));
    EXPECT_THAT(inbox, Not(HasSubstr("Sent")));
    EXPECT_THAT(send("c LIST \"\" \"\"\r\n"), HasSubstr("(\\Noselect) \"/\" \"\""));
    EXPECT_THAT(send("d LSUB \"\" \"%\"\r\n"),
                HasSubstr("* LSUB (\\HasNoChildren) \"/\" \"Sent Faxes\""));
    temp_.append("alice", "INBOX", testing::kFaxMessage);
    EXPECT_THAT(send("e STATUS INBOX (MESSAGES UNSEEN UIDNEXT)\r\n"),
                HasSubstr("* STATUS \"INBOX\" (MESSAGES 1 UNSEEN 1 UIDNEXT 2)"));
    EXPECT_THAT(send("f CREATE Foo\r\n"), HasSubstr("f NO"));
    EXPECT_THAT(send("g APPEND INBOX {3+}\r\nabc\r\n"), HasSubstr("g NO"));
    EXPECT_THAT(send("h SELECT Nope\r\n"), HasSubstr("h NO [NONEXISTENT]"));
}

TEST_F(ImapSessionTest, OtherUsersMailIsInvisible) {
    temp_.append("bob", "INBOX", testing::plainMessage("for bob", "private"));
    temp_.append("alice", "INBOX", testing::plainMessage("for alice", "hello"));
    loginAndSelect();
    const std::string out = send("f FETCH 1:* (BODY.PEEK[])\r\n");
    EXPECT_THAT(out, HasSubstr("for alice"));
    EXPECT_THAT(out, Not(HasSubstr("for bob")));
    EXPECT_THAT(send("s SEARCH TEXT private\r\n"), HasSubstr("* SEARCH\r\n"));
}

TEST_F(ImapSessionTest, SelectReportsCounts) {
    temp_.append("alice", "INBOX", testing::kFaxMessage, "\\Seen");
    temp_.append("alice", "INBOX", testing::kFaxMessage);
    send("l LOGIN alice secret\r\n");
    const std::string out = send("s SELECT INBOX\r\n");
    EXPECT_THAT(out, HasSubstr("* 2 EXISTS"));
    EXPECT_THAT(out, HasSubstr("* 2 RECENT"));
    EXPECT_THAT(out, HasSubstr("* OK [UNSEEN 2]"));
    EXPECT_THAT(out, HasSubstr("* OK [UIDNEXT 3]"));
    EXPECT_THAT(out, HasSubstr("* OK [UIDVALIDITY "));
    // A second session does not see them as recent any more.
    auto second = makeSession();
    send("l LOGIN alice secret\r\n", second.get());
    EXPECT_THAT(send("s EXAMINE INBOX\r\n", second.get()), HasSubstr("* 0 RECENT"));
    EXPECT_THAT(send("s STORE 1 +FLAGS (\\Flagged)\r\n", second.get()),
                HasSubstr("s NO [READ-ONLY]"));
}

TEST_F(ImapSessionTest, PeekDoesNotSetSeenButBodyDoes) {
    temp_.append("alice", "INBOX", testing::kFaxMessage);
    loginAndSelect();
    std::string out = send("a FETCH 1 (BODY.PEEK[2] FLAGS)\r\n");
    EXPECT_THAT(out, HasSubstr("BODY[2] {12}\r\nJVBERi0xLjQK"));
    EXPECT_THAT(out, Not(HasSubstr("\\Seen")));
    out = send("b FETCH 1 BODY[1]<0.8>\r\n");
    EXPECT_THAT(out, HasSubstr("BODY[1]<0> {8}\r\nReceived"));
    EXPECT_THAT(out, HasSubstr("FLAGS (\\Seen \\Recent)"));
    EXPECT_EQ(temp_.store().listMailboxHeaders("alice", "INBOX")[0].flags, "\\Seen");
    out = send("c FETCH 1 BODY[1]<100.8>\r\n");
    EXPECT_THAT(out, HasSubstr("BODY[1]<100> {0}\r\n"));
}

TEST_F(ImapSessionTest, FetchAttributes) {
    temp_.append("alice", "INBOX", testing::kFaxMessage);
    loginAndSelect();
    const std::string out = send(
        "a FETCH 1 (UID RFC822.SIZE INTERNALDATE BODYSTRUCTURE ENVELOPE "
        "BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\n");
    EXPECT_THAT(out, HasSubstr("UID 1 RFC822.SIZE " + std::to_string(testing::kFaxMessage.size())));
    EXPECT_THAT(out, HasSubstr("INTERNALDATE \"01-Jan-2024 10:00:00 +0000\""));
    EXPECT_THAT(out, HasSubstr("BODYSTRUCTURE " + testing::kFaxBodyStructure));
    EXPECT_THAT(out, HasSubstr("ENVELOPE (\"Mon, 1 Jan 2024 10:00:00 +0000\""));
    EXPECT_THAT(
        out,
        HasSubstr("BODY[HEADER.FIELDS (SUBJECT)] {32}\r\nSubject: Fax from 0312345678\r\n\r\n"));
    EXPECT_THAT(out, HasSubstr("a OK FETCH"));
    EXPECT_THAT(send("b FETCH 2 FLAGS\r\n"), HasSubstr("b BAD"));
    EXPECT_THAT(send("c FETCH 1 (FLAGS\r\n"), HasSubstr("c BAD"));
    EXPECT_THAT(send("d UID FETCH 99 FLAGS\r\n"), HasSubstr("d OK"));
}

TEST_F(ImapSessionTest, ExpungeSequenceArithmeticAndUids) {
    for (int i = 1; i <= 6; ++i)
        temp_.append("alice", "INBOX", testing::plainMessage("m" + std::to_string(i), "x"));
    loginAndSelect();
    EXPECT_THAT(send("a STORE 2,3,5 +FLAGS.SILENT (\\Deleted)\r\n"), "a OK STORE completed\r\n");
    EXPECT_EQ(send("b EXPUNGE\r\n"),
              "* 2 EXPUNGE\r\n* 2 EXPUNGE\r\n* 3 EXPUNGE\r\nb OK EXPUNGE completed\r\n");
    // Left: UIDs 1, 4, 6 as sequence numbers 1, 2, 3.
    EXPECT_THAT(send("c FETCH 2 UID\r\n"), HasSubstr("* 2 FETCH (UID 4)"));
    EXPECT_THAT(send("d UID SEARCH ALL\r\n"), HasSubstr("* SEARCH 1 4 6\r\n"));
    EXPECT_THAT(send("e UID STORE 6 +FLAGS (\\Deleted)\r\n"),
                HasSubstr("* 3 FETCH (UID 6 FLAGS (\\Deleted \\Recent))"));
    send("f STORE 1 +FLAGS (\\Deleted)\r\n");
    // UID EXPUNGE removes only the named UIDs.
    EXPECT_EQ(send("g UID EXPUNGE 6\r\n"), "* 3 EXPUNGE\r\ng OK EXPUNGE completed\r\n");
    EXPECT_THAT(send("h UID COPY 1:* \"Sent Faxes\"\r\n"), HasSubstr("h OK [COPYUID "));
    EXPECT_THAT(send("h UID COPY 1 Nowhere\r\n"), HasSubstr("NO [TRYCREATE]"));
    EXPECT_EQ(temp_.store().listMailboxHeaders("alice", "Sent Faxes").size(), 2u);
    EXPECT_THAT(send("i CLOSE\r\n"), HasSubstr("i OK"));
    EXPECT_EQ(temp_.store().listMailboxHeaders("alice", "INBOX").size(), 1u);
    // UIDs are never reused.
    EXPECT_EQ(temp_.append("alice", "INBOX", testing::kFaxMessage), 7);
}

TEST_F(ImapSessionTest, SearchCombinations) {
    temp_.append("alice", "INBOX", testing::plainMessage("Fax one", "pages"), "\\Seen",
                 1704103200000);
    temp_.append("alice", "INBOX", testing::plainMessage("Report", "failed call"), "",
                 1704189600000);
    temp_.append("alice", "INBOX", testing::kFaxMessage, "\\Flagged", 1704276000000);
    loginAndSelect();
    EXPECT_THAT(send("a SEARCH UNSEEN\r\n"), HasSubstr("* SEARCH 2 3\r\n"));
    EXPECT_THAT(send("b SEARCH SUBJECT fax\r\n"), HasSubstr("* SEARCH 1 3\r\n"));
    EXPECT_THAT(send("c SEARCH OR SEEN FLAGGED\r\n"), HasSubstr("* SEARCH 1 3\r\n"));
    EXPECT_THAT(send("d SEARCH NOT SEEN BODY failed\r\n"), HasSubstr("* SEARCH 2\r\n"));
    EXPECT_THAT(send("e SEARCH SINCE 2-Jan-2024 BEFORE 3-Jan-2024\r\n"),
                HasSubstr("* SEARCH 2\r\n"));
    EXPECT_THAT(send("f SEARCH ON 1-Jan-2024\r\n"), HasSubstr("* SEARCH 1\r\n"));
    EXPECT_THAT(send("g SEARCH LARGER 200\r\n"), HasSubstr("* SEARCH 3\r\n"));
    EXPECT_THAT(send("h SEARCH 2:* (FROM fax@gw.local)\r\n"), HasSubstr("* SEARCH 3\r\n"));
    EXPECT_THAT(send("i SEARCH HEADER Message-ID r1@gw\r\n"), HasSubstr("* SEARCH 3\r\n"));
    EXPECT_THAT(send("j UID SEARCH UID 1:2 NEW\r\n"), HasSubstr("* SEARCH 2\r\n"));
    EXPECT_THAT(send("k SEARCH CHARSET UTF-8 TO alice\r\n"), HasSubstr("* SEARCH 1 2 3\r\n"));
    EXPECT_THAT(send("l SEARCH BOGUS\r\n"), HasSubstr("l BAD"));
    EXPECT_THAT(send("m SEARCH CHARSET KOI8-R ALL\r\n"), HasSubstr("m NO [BADCHARSET"));
    EXPECT_THAT(send("n SEARCH SINCE 32-Foo-2024\r\n"), HasSubstr("n BAD"));
}

TEST_F(ImapSessionTest, IdleAnnouncesNewMessagesAndExpunges) {
    temp_.append("alice", "INBOX", testing::kFaxMessage);
    loginAndSelect();
    EXPECT_EQ(send("i IDLE\r\n"), "+ idling\r\n");
    EXPECT_TRUE(session_->idling());
    temp_.append("alice", "INBOX", testing::kFaxMessage);
    std::string out;
    session_->mailboxChanged(out);
    EXPECT_THAT(out, HasSubstr("* 2 EXISTS"));
    // Another session expunges message 1.
    temp_.store().setMailboxFlags("alice", "INBOX", 1, "\\Deleted");
    temp_.store().expungeMailbox("alice", "INBOX", std::nullopt);
    out.clear();
    session_->mailboxChanged(out);
    EXPECT_THAT(out, HasSubstr("* 1 EXPUNGE"));
    EXPECT_EQ(send("DONE\r\n"), "i OK IDLE terminated\r\n");
    EXPECT_THAT(send("f FETCH 1 UID\r\n"), HasSubstr("* 1 FETCH (UID 2)"));
}

TEST_F(ImapSessionTest, LiteralLimitsAndBadSyntax) {
    ImapSessionOptions small;
    small.maxLiteralBytes = 16;
    auto session = makeSession(small);
    EXPECT_EQ(send("a LOGIN {17}\r\n", session.get()), "a BAD Literal too large\r\n");
    std::string out;
    EXPECT_EQ(session->consume("b LOGIN {17+}\r\n", out), ImapAction::Close);
    EXPECT_THAT(out, HasSubstr("* BYE"));
    EXPECT_THAT(send("x FROB\r\n"), HasSubstr("x BAD Unknown command"));
    EXPECT_THAT(send("\"bad\r\n"), HasSubstr("* BAD"));
}

TEST_F(ImapSessionTest, FuzzedInputNeverThrows) {
    temp_.append("alice", "INBOX", testing::kFaxMessage);
    const std::vector<std::string> seeds = {"a LOGIN alice secret\r\n",
                                            "b SELECT INBOX\r\n",
                                            "c FETCH 1:* (BODY.PEEK[1.2]<0.10> FLAGS)\r\n",
                                            "d SEARCH OR (SEEN) NOT UID 1:* TEXT {3+}\r\nabc\r\n",
                                            "e UID STORE 1 +FLAGS (\\Seen)\r\n",
                                            "f STATUS INBOX (MESSAGES)\r\n",
                                            "g IDLE\r\nDONE\r\n",
                                            "h EXPUNGE\r\n",
                                            "i FETCH * BODY[HEADER.FIELDS.NOT (A B)]\r\n",
                                            "j LIST \"\" %\r\n"};
    std::mt19937 random(20240101);
    int closed = 0;
    for (int i = 0; i < 10000; ++i) {
        if (i % 200 == 0) {
            session_ = makeSession();
            send("a LOGIN alice secret\r\nb SELECT INBOX\r\n");
        }
        std::string input = seeds[random() % seeds.size()];
        const int mutations = static_cast<int>(random() % 6);
        for (int m = 0; m < mutations; ++m) {
            const size_t at = random() % (input.size() + 1);
            switch (random() % 4) {
                case 0:
                    input.insert(at, 1, static_cast<char>(random() % 256));
                    break;
                case 1:
                    if (at < input.size()) input.erase(at, 1);
                    break;
                case 2:
                    if (at < input.size()) input[at] = static_cast<char>(random() % 256);
                    break;
                default:
                    input.insert(at, seeds[random() % seeds.size()]);
                    break;
            }
        }
        std::string out;
        ASSERT_NO_THROW(session_->consume(input, out)) << i;
        if (session_->closed()) {
            ++closed;
            session_ = makeSession();
            send("a LOGIN alice secret\r\nb SELECT INBOX\r\n");
        }
    }
    EXPECT_GE(closed, 0);
}

}  // namespace
}  // namespace faxgate::gateway
