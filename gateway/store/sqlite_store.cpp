// SqliteStore: the Store interface on one SQLite file through Poco::Data (see sqlite_store.h).
//
// Layout of this file: schema and migrations, then the row <-> struct conversions and
// statement helpers only this file uses, then the Store methods in the order of store.h. What
// the other SqliteStore files share (the transaction helper, checks, user/node/record rows,
// statements run by several parts) is in sqlite_store_internal.h. Enumerations are kept
// as text (types.cpp) so that the file reads well in the sqlite3 shell; binary data (raw
// mails, TIFF documents, outbox and mailbox messages) is bound as BLOB, never as text, so it
// round-trips byte for byte. Every column is NOT NULL: no NULL handling when reading back.
#include "gateway/store/sqlite_store.h"

#include <Poco/Data/LOB.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <Poco/Tuple.h>

#include <algorithm>
#include <filesystem>
#include <utility>

#include "gateway/store/sqlite_store_internal.h"

namespace faxgate::gateway {
namespace {

using namespace Poco::Data::Keywords;
using Poco::Int64;
using Poco::Data::BLOB;
using Poco::Data::Session;
using Poco::Data::Statement;
using sqlite_internal::changedRows;
using sqlite_internal::checkId;
using sqlite_internal::checkLimit;
using sqlite_internal::checkOutboxMail;
using sqlite_internal::countById;
using sqlite_internal::fail;
using sqlite_internal::fromBlob;
using sqlite_internal::insertMailboxMessage;
using sqlite_internal::insertNodeRow;
using sqlite_internal::insertOutboxMail;
using sqlite_internal::insertRecord;
using sqlite_internal::insertUserRow;
using sqlite_internal::kNodeColumns;
using sqlite_internal::kRecordColumns;
using sqlite_internal::kUserColumns;
using sqlite_internal::lastInsertId;
using sqlite_internal::NodeRow;
using sqlite_internal::recordExists;
using sqlite_internal::RecordRow;
using sqlite_internal::toBlob;
using sqlite_internal::toNode;
using sqlite_internal::toRecord;
using sqlite_internal::toUser;
using sqlite_internal::updateUserRow;
using sqlite_internal::UserRow;

// ---- Schema ---------------------------------------------------------------------------

// kMigrations[v] takes a database from schema version v to v + 1; version 0 is an empty
// file. To change the schema, append a step: never edit a step that has been released.
const std::vector<std::vector<std::string>> kMigrations = {
    {
        "CREATE TABLE users ("
        " id TEXT PRIMARY KEY,"
        " password_hash TEXT NOT NULL,"
        " role TEXT NOT NULL,"
        " email TEXT NOT NULL,"
        " default_node TEXT NOT NULL,"
        " resolution TEXT NOT NULL,"
        " cover_page INTEGER NOT NULL)",

        "CREATE TABLE nodes ("
        " id TEXT PRIMARY KEY,"
        " url TEXT NOT NULL,"
        " secret TEXT NOT NULL,"
        " priority INTEGER NOT NULL,"
        " keep_lines_for_receive INTEGER NOT NULL,"
        " kill_time_ms INTEGER NOT NULL,"
        " max_dials INTEGER NOT NULL,"
        " max_connected_tries INTEGER NOT NULL,"
        " busy_retry_ms INTEGER NOT NULL,"
        " failure_retry_ms INTEGER NOT NULL)",

        // AUTOINCREMENT: IDs are never reused, they appear in mails and node spools.
        // raw_message is the last column so reading the others does not touch its pages.
        "CREATE TABLE submissions ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " owner TEXT NOT NULL,"
        " envelope_from TEXT NOT NULL,"
        " subject TEXT NOT NULL,"
        " message_id TEXT NOT NULL,"
        " state TEXT NOT NULL,"
        " failure_reason TEXT NOT NULL,"
        " reported INTEGER NOT NULL,"
        " created_ms INTEGER NOT NULL,"
        " raw_message BLOB NOT NULL)",
        "CREATE INDEX submissions_by_state ON submissions(state)",

        "CREATE TABLE documents ("
        " submission_id INTEGER PRIMARY KEY REFERENCES submissions(id) ON DELETE CASCADE,"
        " pages INTEGER NOT NULL,"
        " created_ms INTEGER NOT NULL,"
        " tiff BLOB NOT NULL)",

        "CREATE TABLE jobs ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " submission_id INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,"
        " owner TEXT NOT NULL,"
        " number TEXT NOT NULL,"
        " state TEXT NOT NULL,"
        " priority INTEGER NOT NULL,"
        " dials INTEGER NOT NULL DEFAULT 0,"
        " connected_tries INTEGER NOT NULL DEFAULT 0,"
        " pages_total INTEGER NOT NULL DEFAULT 0,"
        " pages_sent INTEGER NOT NULL DEFAULT 0,"
        " created_ms INTEGER NOT NULL,"
        " not_before_ms INTEGER NOT NULL DEFAULT 0,"
        " kill_at_ms INTEGER NOT NULL,"
        " node TEXT NOT NULL DEFAULT '',"
        " line TEXT NOT NULL DEFAULT '',"
        " last_result TEXT NOT NULL DEFAULT '',"
        " last_reason TEXT NOT NULL DEFAULT '',"
        " updated_ms INTEGER NOT NULL)",
        "CREATE INDEX jobs_by_submission ON jobs(submission_id)",
        "CREATE INDEX jobs_by_state ON jobs(state)",
        "CREATE INDEX jobs_by_owner ON jobs(owner)",

        "CREATE TABLE attempts ("
        " job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,"
        " number INTEGER NOT NULL,"
        " node_id TEXT NOT NULL,"
        " line TEXT NOT NULL,"
        " dispatched_ms INTEGER NOT NULL,"
        " ended_ms INTEGER NOT NULL,"
        " result TEXT NOT NULL,"
        " reason TEXT NOT NULL,"
        " pages INTEGER NOT NULL,"
        " record_id TEXT NOT NULL,"
        " PRIMARY KEY (job_id, number))",

        // No foreign key on job_id: receptions have none, and a node may report a call for
        // a job this gateway no longer knows; the record is kept all the same.
        "CREATE TABLE records ("
        " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        " record_id TEXT NOT NULL UNIQUE,"
        " direction TEXT NOT NULL,"
        " job_id INTEGER NOT NULL,"
        " attempt INTEGER NOT NULL,"
        " node_id TEXT NOT NULL,"
        " line TEXT NOT NULL,"
        " number TEXT NOT NULL,"
        " remote_csid TEXT NOT NULL,"
        " pages INTEGER NOT NULL,"
        " pages_total INTEGER NOT NULL,"
        " duration_ms INTEGER NOT NULL,"
        " bit_rate INTEGER NOT NULL,"
        " ecm INTEGER NOT NULL,"
        " result TEXT NOT NULL,"
        " reason TEXT NOT NULL,"
        " started_ms INTEGER NOT NULL,"
        " ended_ms INTEGER NOT NULL)",

        // recipients: one address per line (addresses never contain line breaks).
        // state: 'queued' until given up ('failed', kept for the admin); sent mails are
        // deleted.
        "CREATE TABLE outbox ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " state TEXT NOT NULL,"
        " sender TEXT NOT NULL,"
        " recipients TEXT NOT NULL,"
        " tries INTEGER NOT NULL,"
        " next_try_ms INTEGER NOT NULL,"
        " last_error TEXT NOT NULL,"
        " data BLOB NOT NULL)",
        "CREATE INDEX outbox_by_next_try ON outbox(state, next_try_ms)",

        // The next UID per mailbox lives apart from the messages so that it keeps rising
        // after the newest message is deleted (IMAP forbids reusing a UID).
        // uid_validity is the IMAP UIDVALIDITY: the creation time in seconds, so a mailbox
        // recreated in a new database file (UIDs starting again at 1) gets a new value.
        "CREATE TABLE mailbox_next_uid ("
        " user TEXT NOT NULL,"
        " folder TEXT NOT NULL,"
        " next_uid INTEGER NOT NULL,"
        " uid_validity INTEGER NOT NULL"
        "  DEFAULT (CAST(strftime('%s', 'now') AS INTEGER) % 4294967295 + 1),"
        " PRIMARY KEY (user, folder))",
        "CREATE TABLE mailbox ("
        " user TEXT NOT NULL,"
        " folder TEXT NOT NULL,"
        " uid INTEGER NOT NULL,"
        " internal_date_ms INTEGER NOT NULL,"
        " flags TEXT NOT NULL,"
        " data BLOB NOT NULL,"
        " PRIMARY KEY (user, folder, uid))",

        // Administration: one row per change made through the admin API. `changes` is a
        // JSON object with secrets already masked.
        "CREATE TABLE audit_log ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " time_ms INTEGER NOT NULL,"
        " admin_user TEXT NOT NULL,"
        " client_address TEXT NOT NULL,"
        " action TEXT NOT NULL,"
        " target TEXT NOT NULL,"
        " changes TEXT NOT NULL)",
        "CREATE INDEX records_by_started ON records(started_ms)",

        // Routing of received faxes (sqlite_store_routing.cpp). Receptions keep the number
        // called (DID), the caller's number and the routing decision with their record.
        "ALTER TABLE records ADD COLUMN called_number TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE records ADD COLUMN caller_number TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE records ADD COLUMN routed_to TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE users ADD COLUMN attachment_format TEXT NOT NULL DEFAULT 'pdf'",
        // users: one user ID per line, in the order given.
        "CREATE TABLE routing_rules ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " field TEXT NOT NULL,"
        " match TEXT NOT NULL,"
        " value TEXT NOT NULL,"
        " users TEXT NOT NULL,"
        " priority INTEGER NOT NULL,"
        " notes TEXT NOT NULL)",
        "CREATE TABLE routing_default ("  // NOLINT(bugprone-suspicious-missing-comma)
        " position INTEGER PRIMARY KEY,"
        " user TEXT NOT NULL)",
        "CREATE TABLE routing_blocks ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " field TEXT NOT NULL,"
        " match TEXT NOT NULL,"
        " value TEXT NOT NULL,"
        " notes TEXT NOT NULL)",
    },
    // Version 2: versioned settings (docs/settings.md), the nodes' reports about them, the
    // previous node secret still accepted during a change, and the outbox's transport.
    {
        // One row per version of a scope's settings; who/when/where is its audit entry.
        "CREATE TABLE settings_versions ("
        " scope TEXT NOT NULL,"
        " version INTEGER NOT NULL,"
        " document TEXT NOT NULL,"
        " audit_id INTEGER NOT NULL REFERENCES audit_log(id),"
        " PRIMARY KEY (scope, version))",
        "CREATE TABLE node_settings_status ("
        " node_id TEXT PRIMARY KEY,"
        " applied_version INTEGER NOT NULL,"
        " applied_ms INTEGER NOT NULL,"
        " error TEXT NOT NULL,"
        " error_version INTEGER NOT NULL)",
        "ALTER TABLE nodes ADD COLUMN previous_secret TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE outbox ADD COLUMN transport TEXT NOT NULL DEFAULT 'smtp'",
    },
    // Version 3: the secrets of a settings scope (the gateway's relay password), which
    // settings_versions never holds (docs/settings.md); replaced with each registration.
    {
        "CREATE TABLE settings_secrets ("
        " scope TEXT NOT NULL,"
        " name TEXT NOT NULL,"
        " value TEXT NOT NULL,"
        " PRIMARY KEY (scope, name))",
    },
};

const int kSchemaVersion = static_cast<int>(kMigrations.size());

// ---- Checks and conversions ----------------------------------------------------------

// Digits with an optional leading '+', as the SMTP server normalises them.
void checkFaxNumber(const char* operation, const std::string& number) {
    const std::size_t digitsFrom = (!number.empty() && number[0] == '+') ? 1 : 0;
    const bool digitsOnly = number.size() > digitsFrom &&
                            std::all_of(number.begin() + static_cast<std::ptrdiff_t>(digitsFrom),
                                        number.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digitsOnly || number.size() > kMaxFaxNumberBytes) {
        fail(operation, "invalid fax number '" + number.substr(0, kMaxFaxNumberBytes + 1) + "'");
    }
}

void checkUser(const char* operation, const User& user) {
    checkId(operation, "user ID", user.id);
    if (user.resolution != "fine" && user.resolution != "normal") {
        fail(operation, "user " + user.id + ": resolution '" + user.resolution +
                            "' is neither 'fine' nor 'normal'");
    }
    if (!isAttachmentFormat(user.attachmentFormat)) {
        fail(operation, "user " + user.id + ": attachment format '" + user.attachmentFormat +
                            "' is not 'pdf', 'tiff' or 'both'");
    }
}

const std::string kSubmissionColumns =
    "id, owner, envelope_from, subject, message_id, state, failure_reason, reported, created_ms";
using SubmissionRow = Poco::Tuple<Int64, std::string, std::string, std::string, std::string,
                                  std::string, std::string, int, Int64>;

Submission toSubmission(const SubmissionRow& row) {
    Submission submission;
    submission.id = row.get<0>();
    submission.owner = row.get<1>();
    submission.envelopeFrom = row.get<2>();
    submission.subject = row.get<3>();
    submission.messageId = row.get<4>();
    const auto state = submissionStateFromString(row.get<5>());
    if (!state) {
        fail("read submission " + std::to_string(submission.id),
             "unknown state '" + row.get<5>() + "'");
    }
    submission.state = *state;
    submission.failureReason = row.get<6>();
    submission.reported = row.get<7>() != 0;
    submission.createdMs = row.get<8>();
    return submission;
}

const std::string kJobColumns =
    "id, submission_id, owner, number, state, priority, dials, connected_tries, pages_total,"
    " pages_sent, created_ms, not_before_ms, kill_at_ms, node, line, last_result, last_reason,"
    " updated_ms";
using JobRow =
    Poco::Tuple<Int64, Int64, std::string, std::string, std::string, int, int, int, int, int, Int64,
                Int64, Int64, std::string, std::string, std::string, std::string, Int64>;

Job toJob(const JobRow& row) {
    Job job;
    job.id = row.get<0>();
    job.submissionId = row.get<1>();
    job.owner = row.get<2>();
    job.number = row.get<3>();
    const auto state = jobStateFromString(row.get<4>());
    if (!state) fail("read job " + std::to_string(job.id), "unknown state '" + row.get<4>() + "'");
    job.state = *state;
    job.priority = row.get<5>();
    job.dials = row.get<6>();
    job.connectedTries = row.get<7>();
    job.pagesTotal = row.get<8>();
    job.pagesSent = row.get<9>();
    job.createdMs = row.get<10>();
    job.notBeforeMs = row.get<11>();
    job.killAtMs = row.get<12>();
    job.node = row.get<13>();
    job.line = row.get<14>();
    job.lastResult = row.get<15>();
    job.lastReason = row.get<16>();
    job.updatedMs = row.get<17>();
    return job;
}

const std::string kAttemptColumns =
    "job_id, number, node_id, line, dispatched_ms, ended_ms, result, reason, pages, record_id";
using AttemptRow = Poco::Tuple<Int64, int, std::string, std::string, Int64, Int64, std::string,
                               std::string, int, std::string>;

Attempt toAttempt(const AttemptRow& row) {
    Attempt attempt;
    attempt.jobId = row.get<0>();
    attempt.number = row.get<1>();
    attempt.nodeId = row.get<2>();
    attempt.line = row.get<3>();
    attempt.dispatchedMs = row.get<4>();
    attempt.endedMs = row.get<5>();
    attempt.result = row.get<6>();
    attempt.reason = row.get<7>();
    attempt.pages = row.get<8>();
    attempt.recordId = row.get<9>();
    return attempt;
}

const std::string kOutboxColumns =
    "id, sender, recipients, tries, next_try_ms, last_error, data, transport";
using OutboxRow =
    Poco::Tuple<Int64, std::string, std::string, int, Int64, std::string, BLOB, std::string>;

OutboxMail toOutboxMail(const OutboxRow& row) {
    OutboxMail mail;
    mail.id = row.get<0>();
    mail.from = row.get<1>();
    const std::string& recipients = row.get<2>();
    for (std::size_t start = 0; start < recipients.size();) {
        std::size_t end = recipients.find('\n', start);
        if (end == std::string::npos) end = recipients.size();
        mail.to.push_back(recipients.substr(start, end - start));
        start = end + 1;
    }
    mail.tries = row.get<3>();
    mail.nextTryMs = row.get<4>();
    mail.lastError = row.get<5>();
    mail.data = fromBlob(row.get<6>());
    mail.transport = row.get<7>();
    return mail;
}

const std::string kMailboxColumns = "uid, user, folder, internal_date_ms, flags, data";
using MailboxRow = Poco::Tuple<Int64, std::string, std::string, Int64, std::string, BLOB>;

MailboxMessage toMailboxMessage(const MailboxRow& row) {
    MailboxMessage message;
    message.uid = row.get<0>();
    message.user = row.get<1>();
    message.folder = row.get<2>();
    message.internalDateMs = row.get<3>();
    message.flags = row.get<4>();
    message.data = fromBlob(row.get<5>());
    return message;
}

// ---- Statement helpers (REQUIRE: the store's mutex held, a transaction open) -------------

// Writes every mutable column of a job; the job must exist.
void writeJob(Session& session, const char* operation, const Job& job) {
    session << "UPDATE jobs SET state = ?, priority = ?, dials = ?, connected_tries = ?,"
               " pages_total = ?, pages_sent = ?, not_before_ms = ?, kill_at_ms = ?, node = ?,"
               " line = ?, last_result = ?, last_reason = ?, updated_ms = ? WHERE id = ?",
        bind(toString(job.state)), bind(job.priority), bind(job.dials), bind(job.connectedTries),
        bind(job.pagesTotal), bind(job.pagesSent), bind(Int64{job.notBeforeMs}),
        bind(Int64{job.killAtMs}), bind(job.node), bind(job.line), bind(job.lastResult),
        bind(job.lastReason), bind(Int64{job.updatedMs}), bind(Int64{job.id}), now;
    if (changedRows(session) != 1) fail(operation, "no job " + std::to_string(job.id));
}

// Inserts the attempt or, if (job, number) exists, overwrites it with these values.
void writeAttempt(Session& session, const Attempt& attempt, bool insertOnly) {
    const std::string sql =
        "INSERT INTO attempts (" + kAttemptColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" +
        (insertOnly ? ""
                    : " ON CONFLICT (job_id, number) DO UPDATE SET node_id = excluded.node_id,"
                      " line = excluded.line, dispatched_ms = excluded.dispatched_ms,"
                      " ended_ms = excluded.ended_ms, result = excluded.result,"
                      " reason = excluded.reason, pages = excluded.pages,"
                      " record_id = excluded.record_id");
    session << sql, bind(Int64{attempt.jobId}), bind(attempt.number), bind(attempt.nodeId),
        bind(attempt.line), bind(Int64{attempt.dispatchedMs}), bind(Int64{attempt.endedMs}),
        bind(attempt.result), bind(attempt.reason), bind(attempt.pages), bind(attempt.recordId),
        now;
}

// The state column of a submission, or nullopt if there is none with this ID.
std::optional<SubmissionState> submissionState(Session& session, const char* operation,
                                               Int64 submissionId) {
    std::vector<std::string> states;
    session << "SELECT state FROM submissions WHERE id = ?", bind(submissionId), into(states), now;
    if (states.empty()) return std::nullopt;
    const auto state = submissionStateFromString(states.front());
    if (!state) {
        fail(operation, "submission " + std::to_string(submissionId) + " has unknown state '" +
                            states.front() + "'");
    }
    return state;
}

// A submission that may still take its conversion result: it exists and is Converting.
void requireConverting(Session& session, const char* operation, Int64 submissionId) {
    const auto state = submissionState(session, operation, submissionId);
    if (!state) fail(operation, "no submission " + std::to_string(submissionId));
    if (*state != SubmissionState::Converting) {
        fail(operation, "submission " + std::to_string(submissionId) + " is " + toString(*state) +
                            ", not converting");
    }
}

void registerConnectorOnce() {
    static std::once_flag once;
    std::call_once(once, [] { Poco::Data::SQLite::Connector::registerConnector(); });
}

Session openSession(const std::string& path) {
    registerConnectorOnce();
    // Checked here because Poco reports a failed open only when its login timeout expires,
    // and then only as "Timed out".
    if (path.empty()) throw StoreError("store: the database path is empty");
    std::error_code error;
    const std::filesystem::path parent = std::filesystem::absolute(path, error).parent_path();
    if (error || !std::filesystem::is_directory(parent, error)) {
        throw StoreError("store: cannot open " + path + ": directory " + parent.string() +
                         " does not exist");
    }
    try {
        // Poco retries a failed open until the login timeout (60 s by default) runs out;
        // an open that fails once (missing directory, permissions) fails for good, and a
        // locked database is what busy_timeout is for.
        constexpr std::size_t kOpenTimeoutSeconds = 1;
        return Session(Poco::Data::SQLite::Connector::KEY, path, kOpenTimeoutSeconds);
    } catch (const Poco::Exception& e) {
        throw StoreError("store: cannot open " + path + ": " + e.displayText());
    }
}

}  // namespace

// ---- SqliteStore ------------------------------------------------------------------------

SqliteStore::SqliteStore(const std::string& path, const SqliteStoreOptions& options)
    : path_(path), session_(openSession(path)) {
    applyPragmas(options);
    migrate();
}

SqliteStore::~SqliteStore() {
    try {
        session_.close();
    } catch (const Poco::Exception&) {
        // Nothing to do: every transaction was committed or rolled back already.
    }
}

int SqliteStore::currentSchemaVersion() { return kSchemaVersion; }

void SqliteStore::applyPragmas(const SqliteStoreOptions& options) {
    if (options.busyTimeoutMs < 0) {
        throw StoreError("store: busyTimeoutMs must not be negative");
    }
    std::lock_guard<std::mutex> lock(mutex_);
    try {
        // PRAGMAs that answer with a row need somewhere to put it.
        int busyTimeoutMs = 0;
        session_ << "PRAGMA busy_timeout = " + std::to_string(options.busyTimeoutMs),
            into(busyTimeoutMs), now;
        std::string journalMode;
        session_ << "PRAGMA journal_mode = WAL", into(journalMode), now;
        if (journalMode != "wal") {
            throw StoreError("store: cannot open " + path_ + ": journal_mode is '" + journalMode +
                             "', the file system does not support WAL");
        }
        session_ << "PRAGMA synchronous = FULL", now;
        // Outside any transaction: SQLite ignores this PRAGMA inside one.
        session_ << "PRAGMA foreign_keys = ON", now;
    } catch (const Poco::Exception& e) {
        throw StoreError("store: cannot open " + path_ + ": " + e.displayText());
    }
}

void SqliteStore::migrate() {
    writeTransaction("migrate", [&] {
        session_ << "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", now;
        std::vector<int> versions;
        session_ << "SELECT version FROM schema_version", into(versions), now;
        if (versions.size() > 1) {
            fail("migrate", path_ + " has " + std::to_string(versions.size()) +
                                " rows in schema_version, expected one");
        }
        const int fileVersion = versions.empty() ? 0 : versions.front();
        if (fileVersion > kSchemaVersion || fileVersion < 0) {
            fail("migrate", path_ + " has schema version " + std::to_string(fileVersion) +
                                "; this gateway knows versions up to " +
                                std::to_string(kSchemaVersion));
        }
        for (int version = fileVersion; version < kSchemaVersion; ++version) {
            for (const std::string& sql : kMigrations[static_cast<std::size_t>(version)]) {
                session_ << sql, now;
            }
        }
        if (versions.empty()) {
            session_ << "INSERT INTO schema_version (version) VALUES (?)", bind(kSchemaVersion),
                now;
        } else if (fileVersion != kSchemaVersion) {
            session_ << "UPDATE schema_version SET version = ?", bind(kSchemaVersion), now;
        }
    });
}

// ---- Users ----

void SqliteStore::addUser(const User& user) {
    checkUser("addUser", user);
    writeTransaction("addUser", [&] {
        if (countById(session_, "users", user.id) > 0) {
            fail("addUser", "user " + user.id + " already exists");
        }
        insertUserRow(session_, user);
    });
}

void SqliteStore::updateUser(const User& user) {
    checkUser("updateUser", user);
    writeTransaction("updateUser", [&] {
        updateUserRow(session_, user);
        if (changedRows(session_) != 1) fail("updateUser", "no user " + user.id);
    });
}

std::optional<User> SqliteStore::findUser(const std::string& id) {
    return readTransaction("findUser", [&]() -> std::optional<User> {
        std::vector<UserRow> rows;
        session_ << "SELECT " + kUserColumns + " FROM users WHERE id = ?", bind(id), into(rows),
            now;
        if (rows.empty()) return std::nullopt;
        return toUser(rows.front());
    });
}

std::vector<User> SqliteStore::listUsers() {
    return readTransaction("listUsers", [&] {
        std::vector<UserRow> rows;
        session_ << "SELECT " + kUserColumns + " FROM users ORDER BY id", into(rows), now;
        std::vector<User> users;
        users.reserve(rows.size());
        for (const auto& row : rows) users.push_back(toUser(row));
        return users;
    });
}

// ---- Nodes ----

void SqliteStore::upsertNode(const Node& node) {
    checkId("upsertNode", "node ID", node.id);
    writeTransaction("upsertNode",
                     [&] { insertNodeRow(session_, node, /*replaceExisting=*/true); });
}

std::optional<Node> SqliteStore::findNode(const std::string& id) {
    return readTransaction("findNode", [&]() -> std::optional<Node> {
        std::vector<NodeRow> rows;
        session_ << "SELECT " + kNodeColumns + " FROM nodes WHERE id = ?", bind(id), into(rows),
            now;
        if (rows.empty()) return std::nullopt;
        return toNode(rows.front());
    });
}

std::vector<Node> SqliteStore::listNodes() {
    return readTransaction("listNodes", [&] {
        std::vector<NodeRow> rows;
        session_ << "SELECT " + kNodeColumns + " FROM nodes ORDER BY priority, id", into(rows), now;
        std::vector<Node> nodes;
        nodes.reserve(rows.size());
        for (const auto& row : rows) nodes.push_back(toNode(row));
        return nodes;
    });
}

// ---- Submissions ----

std::vector<int64_t> SqliteStore::commitSubmissions(const std::vector<NewSubmission>& batch,
                                                    std::vector<std::vector<int64_t>>* jobIds) {
    // Validate the whole batch first: all or nothing, and nothing half-written to roll back.
    for (const NewSubmission& submission : batch) {
        checkId("commitSubmissions", "owner", submission.owner);
        if (submission.numbers.empty()) {
            fail("commitSubmissions", "submission from " + submission.owner + " has no fax number");
        }
        for (const std::string& number : submission.numbers) {
            checkFaxNumber("commitSubmissions", number);
        }
        if (submission.killTimeMs <= 0) {
            fail("commitSubmissions", "submission from " + submission.owner + ": killTimeMs " +
                                          std::to_string(submission.killTimeMs) +
                                          " is not positive");
        }
    }
    if (jobIds) jobIds->clear();
    if (batch.empty()) return {};
    return writeTransaction("commitSubmissions", [&] {
        std::vector<int64_t> ids;
        ids.reserve(batch.size());
        if (jobIds) jobIds->assign(batch.size(), {});
        for (const NewSubmission& submission : batch) {
            BLOB raw = toBlob(submission.rawMessage);
            session_ << "INSERT INTO submissions (owner, envelope_from, subject, message_id,"
                        " state, failure_reason, reported, created_ms, raw_message)"
                        " VALUES (?, ?, ?, ?, ?, '', 0, ?, " FAXGATE_BLOB_PARAM ")",
                bind(submission.owner), bind(submission.envelopeFrom), bind(submission.subject),
                bind(submission.messageId), bind(toString(SubmissionState::Converting)),
                bind(Int64{submission.createdMs}), use(raw), now;
            const Int64 submissionId = lastInsertId(session_);
            for (const std::string& number : submission.numbers) {
                session_ << "INSERT INTO jobs (submission_id, owner, number, state, priority,"
                            " created_ms, kill_at_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    bind(submissionId), bind(submission.owner), bind(number),
                    bind(toString(JobState::Converting)), bind(submission.priority),
                    bind(Int64{submission.createdMs}),
                    bind(Int64{submission.createdMs + submission.killTimeMs}),
                    bind(Int64{submission.createdMs}), now;
                if (jobIds) (*jobIds)[ids.size()].push_back(lastInsertId(session_));
            }
            ids.push_back(submissionId);
        }
        return ids;
    });
}

std::optional<Submission> SqliteStore::findSubmission(int64_t id) {
    return readTransaction("findSubmission", [&]() -> std::optional<Submission> {
        std::vector<SubmissionRow> rows;
        session_ << "SELECT " + kSubmissionColumns + " FROM submissions WHERE id = ?",
            bind(Int64{id}), into(rows), now;
        if (rows.empty()) return std::nullopt;
        return toSubmission(rows.front());
    });
}

std::vector<Submission> SqliteStore::submissionsInState(SubmissionState state) {
    return readTransaction("submissionsInState", [&] {
        std::vector<SubmissionRow> rows;
        session_ << "SELECT " + kSubmissionColumns +
                        " FROM submissions WHERE state = ?"
                        " ORDER BY id",
            bind(toString(state)), into(rows), now;
        std::vector<Submission> submissions;
        submissions.reserve(rows.size());
        for (const auto& row : rows) submissions.push_back(toSubmission(row));
        return submissions;
    });
}

std::string SqliteStore::loadRawMessage(int64_t submissionId) {
    return readTransaction("loadRawMessage", [&] {
        std::vector<BLOB> blobs;
        session_ << "SELECT raw_message FROM submissions WHERE id = ?", bind(Int64{submissionId}),
            into(blobs), now;
        if (blobs.empty()) fail("loadRawMessage", "no submission " + std::to_string(submissionId));
        return fromBlob(blobs.front());
    });
}

void SqliteStore::storeDocument(int64_t submissionId, const std::string& tiff, int pages,
                                int64_t nowMs) {
    const std::string subject = "submission " + std::to_string(submissionId);
    if (tiff.empty()) fail("storeDocument", subject + ": the document is empty");
    if (pages < 1) fail("storeDocument", subject + ": " + std::to_string(pages) + " pages");
    writeTransaction("storeDocument", [&] {
        requireConverting(session_, "storeDocument", submissionId);
        BLOB document = toBlob(tiff);
        session_ << "INSERT INTO documents (submission_id, pages, created_ms, tiff)"
                    " VALUES (?, ?, ?, " FAXGATE_BLOB_PARAM ")",
            bind(Int64{submissionId}), bind(pages), bind(Int64{nowMs}), use(document), now;
        session_ << "UPDATE submissions SET state = ? WHERE id = ?",
            bind(toString(SubmissionState::Ready)), bind(Int64{submissionId}), now;
        // Jobs cancelled while the document was converted stay cancelled.
        session_ << "UPDATE jobs SET state = ?, pages_total = ?, updated_ms = ?"
                    " WHERE submission_id = ? AND state = ?",
            bind(toString(JobState::Queued)), bind(pages), bind(Int64{nowMs}),
            bind(Int64{submissionId}), bind(toString(JobState::Converting)), now;
    });
}

void SqliteStore::failSubmission(int64_t submissionId, const std::string& reason, int64_t nowMs) {
    writeTransaction("failSubmission", [&] {
        requireConverting(session_, "failSubmission", submissionId);
        session_ << "UPDATE submissions SET state = ?, failure_reason = ? WHERE id = ?",
            bind(toString(SubmissionState::Failed)), bind(reason), bind(Int64{submissionId}), now;
        session_ << "UPDATE jobs SET state = ?, last_result = 'conversion_failed',"
                    " last_reason = ?, updated_ms = ?"
                    " WHERE submission_id = ? AND state NOT IN (?, ?, ?)",
            bind(toString(JobState::Failed)), bind(reason), bind(Int64{nowMs}),
            bind(Int64{submissionId}), bind(toString(JobState::Done)),
            bind(toString(JobState::Failed)), bind(toString(JobState::Cancelled)), now;
    });
}

std::string SqliteStore::loadDocument(int64_t submissionId) {
    return readTransaction("loadDocument", [&] {
        std::vector<BLOB> blobs;
        session_ << "SELECT tiff FROM documents WHERE submission_id = ?", bind(Int64{submissionId}),
            into(blobs), now;
        if (blobs.empty()) {
            fail("loadDocument", "no document for submission " + std::to_string(submissionId));
        }
        return fromBlob(blobs.front());
    });
}

void SqliteStore::markReported(int64_t submissionId) {
    writeTransaction("markReported", [&] {
        session_ << "UPDATE submissions SET reported = 1 WHERE id = ?", bind(Int64{submissionId}),
            now;
        if (changedRows(session_) != 1) {
            fail("markReported", "no submission " + std::to_string(submissionId));
        }
    });
}

// ---- Jobs ----

std::optional<Job> SqliteStore::findJob(int64_t id) {
    return readTransaction("findJob", [&]() -> std::optional<Job> {
        std::vector<JobRow> rows;
        session_ << "SELECT " + kJobColumns + " FROM jobs WHERE id = ?", bind(Int64{id}),
            into(rows), now;
        if (rows.empty()) return std::nullopt;
        return toJob(rows.front());
    });
}

std::vector<Job> SqliteStore::listJobs(const JobFilter& filter) {
    checkLimit("listJobs", filter.limit);
    return readTransaction("listJobs", [&] {
        std::vector<JobRow> rows;
        Statement statement(session_);
        std::string sql = "SELECT " + kJobColumns + " FROM jobs WHERE 1 = 1";
        if (filter.owner) {
            sql += " AND owner = ?";
            statement.addBind(bind(*filter.owner));
        }
        if (filter.state) {
            sql += " AND state = ?";
            statement.addBind(bind(toString(*filter.state)));
        }
        if (filter.activeOnly) {
            sql += " AND state IN (?, ?, ?, ?)";
            for (JobState state : {JobState::Converting, JobState::Queued, JobState::RetryWait,
                                   JobState::Dispatched}) {
                statement.addBind(bind(toString(state)));
            }
        }
        sql += " ORDER BY id LIMIT ?";
        statement.addBind(bind(filter.limit));
        statement << sql;
        statement.addExtract(into(rows));
        statement.execute();
        std::vector<Job> jobs;
        jobs.reserve(rows.size());
        for (const auto& row : rows) jobs.push_back(toJob(row));
        return jobs;
    });
}

std::vector<Job> SqliteStore::jobsOfSubmission(int64_t submissionId) {
    return readTransaction("jobsOfSubmission", [&] {
        std::vector<JobRow> rows;
        session_ << "SELECT " + kJobColumns + " FROM jobs WHERE submission_id = ? ORDER BY id",
            bind(Int64{submissionId}), into(rows), now;
        std::vector<Job> jobs;
        jobs.reserve(rows.size());
        for (const auto& row : rows) jobs.push_back(toJob(row));
        return jobs;
    });
}

void SqliteStore::updateJob(const Job& job) {
    writeTransaction("updateJob", [&] { writeJob(session_, "updateJob", job); });
}

// ---- Attempts ----

void SqliteStore::startAttempt(const Job& job, const Attempt& attempt) {
    if (attempt.jobId != job.id) {
        fail("startAttempt", "attempt of job " + std::to_string(attempt.jobId) +
                                 " given with job " + std::to_string(job.id));
    }
    if (attempt.number < 1) {
        fail("startAttempt", "job " + std::to_string(job.id) + ": attempt number " +
                                 std::to_string(attempt.number) + " is not positive");
    }
    writeTransaction("startAttempt", [&] {
        std::vector<int> existing;
        session_ << "SELECT number FROM attempts WHERE job_id = ? AND number = ?",
            bind(Int64{attempt.jobId}), bind(attempt.number), into(existing), now;
        if (!existing.empty()) {
            fail("startAttempt", "job " + std::to_string(job.id) + " already has attempt " +
                                     std::to_string(attempt.number));
        }
        writeJob(session_, "startAttempt", job);
        writeAttempt(session_, attempt, /*insertOnly=*/true);
    });
}

void SqliteStore::finishAttempt(const Job& job, const Attempt& attempt,
                                const std::optional<CommunicationRecord>& record) {
    if (attempt.jobId != job.id) {
        fail("finishAttempt", "attempt of job " + std::to_string(attempt.jobId) +
                                  " given with job " + std::to_string(job.id));
    }
    if (attempt.number < 1) {
        fail("finishAttempt", "job " + std::to_string(job.id) + ": attempt number " +
                                  std::to_string(attempt.number) + " is not positive");
    }
    if (record) checkId("finishAttempt", "record ID", record->recordId);
    writeTransaction("finishAttempt", [&] {
        writeJob(session_, "finishAttempt", job);
        writeAttempt(session_, attempt, /*insertOnly=*/false);
        if (record) insertRecord(session_, *record);
    });
}

std::vector<Attempt> SqliteStore::attemptsOf(int64_t jobId) {
    return readTransaction("attemptsOf", [&] {
        std::vector<AttemptRow> rows;
        session_ << "SELECT " + kAttemptColumns + " FROM attempts WHERE job_id = ? ORDER BY number",
            bind(Int64{jobId}), into(rows), now;
        std::vector<Attempt> attempts;
        attempts.reserve(rows.size());
        for (const auto& row : rows) attempts.push_back(toAttempt(row));
        return attempts;
    });
}

// ---- Records ----

bool SqliteStore::addRecord(const CommunicationRecord& record) {
    checkId("addRecord", "record ID", record.recordId);
    return writeTransaction("addRecord", [&] { return insertRecord(session_, record); });
}

bool SqliteStore::hasRecord(const std::string& recordId) {
    return readTransaction("hasRecord", [&] { return recordExists(session_, recordId); });
}

std::vector<CommunicationRecord> SqliteStore::listRecords(int limit) {
    checkLimit("listRecords", limit);
    return readTransaction("listRecords", [&] {
        std::vector<RecordRow> rows;
        session_ << "SELECT " + kRecordColumns + " FROM records ORDER BY seq DESC LIMIT ?",
            bind(limit), into(rows), now;
        std::vector<CommunicationRecord> records;
        records.reserve(rows.size());
        for (const auto& row : rows) records.push_back(toRecord(row));
        return records;
    });
}

// ---- Outbox ----

int64_t SqliteStore::enqueueMail(const OutboxMail& mail) {
    const std::string recipients = checkOutboxMail("enqueueMail", mail);
    return writeTransaction("enqueueMail", [&] {
        insertOutboxMail(session_, mail, recipients);
        return static_cast<int64_t>(lastInsertId(session_));
    });
}

std::vector<OutboxMail> SqliteStore::dueMails(int64_t nowMs, int limit) {
    checkLimit("dueMails", limit);
    return readTransaction("dueMails", [&] {
        std::vector<OutboxRow> rows;
        session_ << "SELECT " + kOutboxColumns +
                        " FROM outbox WHERE state = 'queued' AND next_try_ms <= ?"
                        " ORDER BY next_try_ms, id LIMIT ?",
            bind(Int64{nowMs}), bind(limit), into(rows), now;
        std::vector<OutboxMail> mails;
        mails.reserve(rows.size());
        for (const auto& row : rows) mails.push_back(toOutboxMail(row));
        return mails;
    });
}

void SqliteStore::markMailSent(int64_t id) {
    writeTransaction("markMailSent", [&] {
        session_ << "DELETE FROM outbox WHERE id = ? AND state = 'queued'", bind(Int64{id}), now;
        if (changedRows(session_) != 1) {
            fail("markMailSent", "no queued outbox mail " + std::to_string(id));
        }
    });
}

void SqliteStore::markMailRetry(int64_t id, int64_t nextTryMs, const std::string& error) {
    writeTransaction("markMailRetry", [&] {
        session_ << "UPDATE outbox SET tries = tries + 1, next_try_ms = ?, last_error = ?"
                    " WHERE id = ? AND state = 'queued'",
            bind(Int64{nextTryMs}), bind(error), bind(Int64{id}), now;
        if (changedRows(session_) != 1) {
            fail("markMailRetry", "no queued outbox mail " + std::to_string(id));
        }
    });
}

void SqliteStore::markMailFailed(int64_t id, const std::string& error) {
    writeTransaction("markMailFailed", [&] {
        session_ << "UPDATE outbox SET state = 'failed', tries = tries + 1, last_error = ?"
                    " WHERE id = ? AND state = 'queued'",
            bind(error), bind(Int64{id}), now;
        if (changedRows(session_) != 1) {
            fail("markMailFailed", "no queued outbox mail " + std::to_string(id));
        }
    });
}

// ---- Mailboxes ----

int64_t SqliteStore::appendToMailbox(const MailboxMessage& message) {
    checkId("appendToMailbox", "user", message.user);
    checkId("appendToMailbox", "folder", message.folder);
    return writeTransaction("appendToMailbox", [&] {
        return static_cast<int64_t>(insertMailboxMessage(session_, message.user, message.folder,
                                                         Int64{message.internalDateMs},
                                                         message.flags, message.data));
    });
}

std::vector<MailboxMessage> SqliteStore::listMailbox(const std::string& user,
                                                     const std::string& folder) {
    return readTransaction("listMailbox", [&] {
        std::vector<MailboxRow> rows;
        session_ << "SELECT " + kMailboxColumns +
                        " FROM mailbox WHERE user = ? AND folder = ? ORDER BY uid",
            bind(user), bind(folder), into(rows), now;
        std::vector<MailboxMessage> messages;
        messages.reserve(rows.size());
        for (const auto& row : rows) messages.push_back(toMailboxMessage(row));
        return messages;
    });
}

// ---- Factory ----

std::unique_ptr<Store> openSqliteStore(const std::string& path, const SqliteStoreOptions& options) {
    return std::make_unique<SqliteStore>(path, options);
}

std::unique_ptr<Store> openSqliteStore(const std::string& path) {
    return openSqliteStore(path, SqliteStoreOptions{});
}

}  // namespace faxgate::gateway
