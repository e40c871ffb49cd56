// Internals of the SQLite store shared by its source files (sqlite_store.cpp and the
// sqlite_store_admin / _mailbox / _routing parts): the transaction helper, argument checks,
// BLOB conversions, the user, node and communication-record rows, and the statements more
// than one part runs (users, nodes, records, mailbox messages, outbox mails).
//
// Internal to gateway/store/: nothing outside this folder includes it; the interface is
// store.h and sqlite_store.h. Every helper that takes a Session REQUIRES the store's mutex
// held and a transaction open, except runTransaction, which opens and closes one.
//
// Diagnostics: StoreError("store: <operation>: <what>"), see fail().
#pragma once

#include <Poco/Data/LOB.h>
#include <Poco/Data/Session.h>
#include <Poco/Exception.h>
#include <Poco/Tuple.h>
#include <Poco/Types.h>

#include <mutex>
#include <string>
#include <type_traits>
#include <utility>

#include "gateway/store/sqlite_store.h"

// An empty BLOB binds as NULL in Poco's SQLite binder (its rawContent() is NULL), so blob
// parameters go through COALESCE to keep empty data empty and the columns NOT NULL.
#define FAXGATE_BLOB_PARAM "COALESCE(?, x'')"

namespace faxgate::gateway::sqlite_internal {

// ---- Checks and conversions --------------------------------------------------------------

[[noreturn]] void fail(const std::string& operation, const std::string& what);

// A user, node, folder or record ID: not empty, at most kMaxStoreIdBytes.
void checkId(const char* operation, const char* field, const std::string& id);
// A list limit in 1..kMaxStoreListLimit.
void checkLimit(const char* operation, int limit);
// Checks an outbox mail (recipients, sender, data) and returns its recipients one per line,
// as the outbox table keeps them.
std::string checkOutboxMail(const char* operation, const OutboxMail& mail);

Poco::Data::BLOB toBlob(const std::string& bytes);
std::string fromBlob(const Poco::Data::BLOB& blob);

// User columns in the order of UserRow.
inline const std::string kUserColumns =
    "id, password_hash, role, email, default_node, resolution, cover_page, attachment_format";
using UserRow = Poco::Tuple<std::string, std::string, std::string, std::string, std::string,
                            std::string, int, std::string>;

User toUser(const UserRow& row);

// Node columns in the order of NodeRow.
inline const std::string kNodeColumns =
    "id, url, secret, priority, keep_lines_for_receive, kill_time_ms, max_dials,"
    " max_connected_tries, busy_retry_ms, failure_retry_ms, previous_secret";
using NodeRow = Poco::Tuple<std::string, std::string, std::string, int, int, Poco::Int64, int, int,
                            Poco::Int64, Poco::Int64, std::string>;

Node toNode(const NodeRow& row);

// Record columns in the order of RecordRow.
inline const std::string kRecordColumns =
    "record_id, direction, job_id, attempt, node_id, line, number, remote_csid, pages,"
    " pages_total, duration_ms, bit_rate, ecm, result, reason, started_ms, ended_ms,"
    " called_number, caller_number, routed_to";
using RecordRow =
    Poco::Tuple<std::string, std::string, Poco::Int64, int, std::string, std::string, std::string,
                std::string, int, int, Poco::Int64, int, int, std::string, std::string, Poco::Int64,
                Poco::Int64, std::string, std::string, std::string>;

CommunicationRecord toRecord(const RecordRow& row);

// ---- Statements (REQUIRE: the store's mutex held, a transaction open) --------------------

Poco::Int64 lastInsertId(Poco::Data::Session& session);
// Rows changed by the last INSERT, UPDATE or DELETE.
int changedRows(Poco::Data::Session& session);
// Rows of `table` (a fixed table name, never user input) whose id column is `id`.
int countById(Poco::Data::Session& session, const std::string& table, const std::string& id);

void insertUserRow(Poco::Data::Session& session, const User& user);
// Writes every column but the ID; check changedRows() to learn whether the user exists.
void updateUserRow(Poco::Data::Session& session, const User& user);

// Inserts the node or, with replaceExisting, overwrites the node with the same ID.
void insertNodeRow(Poco::Data::Session& session, const Node& node, bool replaceExisting);

bool recordExists(Poco::Data::Session& session, const std::string& recordId);
// Returns false if a record with this ID is already stored.
bool insertRecord(Poco::Data::Session& session, const CommunicationRecord& record);

// Creates the mailbox's UID row if it is missing.
void ensureMailbox(Poco::Data::Session& session, const std::string& user,
                   const std::string& folder);
// Stores a message under the next UID of (user, folder) and returns that UID.
Poco::Int64 insertMailboxMessage(Poco::Data::Session& session, const std::string& user,
                                 const std::string& folder, Poco::Int64 internalDateMs,
                                 const std::string& flags, const std::string& data);

// Queues a mail checked by checkOutboxMail(), which gave `recipients`.
void insertOutboxMail(Poco::Data::Session& session, const OutboxMail& mail,
                      const std::string& recipients);

// ---- Audit log (sqlite_store_admin.cpp) -------------------------------------------------

// StoreError unless the entry names its action and administrator (checked before writing).
void checkAudit(const char* operation, const AuditEntry& entry);
// Writes the entry and its snapshots (each the next version of its scope, after checking its
// base version: SettingsConflict). Returns the version of entry.snapshot, 0 without one.
Poco::Int64 insertAudit(Poco::Data::Session& session, const AuditEntry& entry);

// ---- Transactions ------------------------------------------------------------------------

// ROLLBACK, ignoring a failure: SQLite may already have rolled back (e.g. after SQLITE_FULL),
// and the original error is what the caller must see.
void rollbackQuietly(Poco::Data::Session& session);

// Runs `body` between `begin` ("BEGIN" or "BEGIN IMMEDIATE") and COMMIT; rolls back on any
// error and turns Poco errors into StoreError. REQUIRES: the store's mutex held.
template <typename Body>
auto runTransaction(Poco::Data::Session& session, const char* begin, const char* operation,
                    Body&& body) -> decltype(body()) {
    using Poco::Data::Keywords::now;
    try {
        session << std::string(begin), now;
    } catch (const Poco::Exception& e) {
        fail(operation, "cannot start a transaction: " + e.displayText());
    }
    try {
        if constexpr (std::is_void_v<decltype(body())>) {
            body();
            session << "COMMIT", now;
        } else {
            auto result = body();
            session << "COMMIT", now;
            return result;
        }
    } catch (const Poco::Exception& e) {
        rollbackQuietly(session);
        fail(operation, e.displayText());
    } catch (...) {
        rollbackQuietly(session);
        throw;
    }
}

}  // namespace faxgate::gateway::sqlite_internal

namespace faxgate::gateway {

// Defined here rather than in sqlite_store.cpp so that every part of SqliteStore uses them.
template <typename Body>
auto SqliteStore::readTransaction(const char* operation, Body&& body) {
    std::lock_guard<std::mutex> lock(mutex_);
    return sqlite_internal::runTransaction(session_, "BEGIN", operation, std::forward<Body>(body));
}

template <typename Body>
auto SqliteStore::writeTransaction(const char* operation, Body&& body) {
    std::lock_guard<std::mutex> lock(mutex_);
    return sqlite_internal::runTransaction(session_, "BEGIN IMMEDIATE", operation,
                                           std::forward<Body>(body));
}

}  // namespace faxgate::gateway
