// SqliteStore, administration part (see store.h, "Administration"): the filtered record
// search and the changes the admin API makes, each written in one transaction together with
// its audit_log row, so the log can never miss a change that was committed.
//
// Kept apart from sqlite_store.cpp so the admin API's storage can grow without touching the
// core store. The small transaction and row helpers below mirror the core file's (they live
// in its anonymous namespace); the tables are created by its version-1 migration.
//
// Diagnostics: StoreError("store: <operation>: <what>"), as in the rest of the store.
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <Poco/Tuple.h>

#include <set>
#include <type_traits>

#include "gateway/store/sqlite_store.h"

namespace faxgate::gateway {
namespace {

using namespace Poco::Data::Keywords;
using Poco::Int64;
using Poco::Data::Session;
using Poco::Data::Statement;

[[noreturn]] void fail(const std::string& operation, const std::string& what) {
    throw StoreError("store: " + operation + ": " + what);
}

void checkLimit(const char* operation, int limit) {
    if (limit < 1 || limit > kMaxStoreListLimit) {
        fail(operation, "limit " + std::to_string(limit) + " is not in 1.." +
                            std::to_string(kMaxStoreListLimit));
    }
}

void checkId(const char* operation, const char* field, const std::string& id) {
    if (id.empty()) fail(operation, std::string(field) + " is empty");
    if (id.size() > kMaxStoreIdBytes) {
        fail(operation,
             std::string(field) + " longer than " + std::to_string(kMaxStoreIdBytes) + " bytes");
    }
}

void checkAudit(const char* operation, const AuditEntry& entry) {
    if (entry.action.empty()) fail(operation, "audit entry without an action");
    if (entry.adminUser.empty()) fail(operation, "audit entry without an administrator");
}

const std::string kRecordColumns =
    "record_id, direction, job_id, attempt, node_id, line, number, remote_csid, pages,"
    " pages_total, duration_ms, bit_rate, ecm, result, reason, started_ms, ended_ms,"
    " called_number, caller_number, routed_to";
using RecordRow =
    Poco::Tuple<std::string, std::string, Int64, int, std::string, std::string, std::string,
                std::string, int, int, Int64, int, int, std::string, std::string, Int64, Int64,
                std::string, std::string, std::string>;

CommunicationRecord toRecord(const RecordRow& row) {
    CommunicationRecord record;
    record.recordId = row.get<0>();
    record.direction = row.get<1>();
    record.jobId = row.get<2>();
    record.attempt = row.get<3>();
    record.nodeId = row.get<4>();
    record.line = row.get<5>();
    record.number = row.get<6>();
    record.remoteCsid = row.get<7>();
    record.pages = row.get<8>();
    record.pagesTotal = row.get<9>();
    record.durationMs = row.get<10>();
    record.bitRate = row.get<11>();
    record.ecm = row.get<12>() != 0;
    record.result = row.get<13>();
    record.reason = row.get<14>();
    record.startedMs = row.get<15>();
    record.endedMs = row.get<16>();
    record.calledNumber = row.get<17>();
    record.callerNumber = row.get<18>();
    record.routedTo = row.get<19>();
    return record;
}

using AuditRow = Poco::Tuple<Int64, Int64, std::string, std::string, std::string, std::string,
                             std::string>;

AuditEntry toAuditEntry(const AuditRow& row) {
    AuditEntry entry;
    entry.id = row.get<0>();
    entry.timeMs = row.get<1>();
    entry.adminUser = row.get<2>();
    entry.clientAddress = row.get<3>();
    entry.action = row.get<4>();
    entry.target = row.get<5>();
    entry.changes = row.get<6>();
    return entry;
}

int changedRows(Session& session) {
    int changed = 0;
    session << "SELECT changes()", into(changed), now;
    return changed;
}

int countWhere(Session& session, const std::string& table, const std::string& id) {
    int count = 0;
    session << "SELECT COUNT(*) FROM " + table + " WHERE id = ?", bind(id), into(count), now;
    return count;
}

void insertAudit(Session& session, const AuditEntry& entry) {
    session << "INSERT INTO audit_log (time_ms, admin_user, client_address, action, target,"
               " changes) VALUES (?, ?, ?, ?, ?, ?)",
        bind(Int64{entry.timeMs}), bind(entry.adminUser), bind(entry.clientAddress),
        bind(entry.action), bind(entry.target), bind(entry.changes.empty() ? "{}" : entry.changes),
        now;
}

void writeUser(Session& session, const User& user, bool insert) {
    if (insert) {
        session << "INSERT INTO users (id, password_hash, role, email, default_node, resolution,"
                   " cover_page, attachment_format) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            bind(user.id), bind(user.passwordHash), bind(toString(user.role)), bind(user.email),
            bind(user.defaultNode), bind(user.resolution), bind(user.coverPage ? 1 : 0),
            bind(user.attachmentFormat), now;
    } else {
        session << "UPDATE users SET password_hash = ?, role = ?, email = ?, default_node = ?,"
                   " resolution = ?, cover_page = ?, attachment_format = ? WHERE id = ?",
            bind(user.passwordHash), bind(toString(user.role)), bind(user.email),
            bind(user.defaultNode), bind(user.resolution), bind(user.coverPage ? 1 : 0),
            bind(user.attachmentFormat), bind(user.id), now;
    }
}

void writeNode(Session& session, const Node& node, bool insert) {
    if (insert) {
        session << "INSERT INTO nodes (id, url, secret, priority, keep_lines_for_receive,"
                   " kill_time_ms, max_dials, max_connected_tries, busy_retry_ms,"
                   " failure_retry_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            bind(node.id), bind(node.url), bind(node.secret), bind(node.priority),
            bind(node.keepLinesForReceive), bind(Int64{node.retry.killTimeMs}),
            bind(node.retry.maxDials), bind(node.retry.maxConnectedTries),
            bind(Int64{node.retry.busyRetryMs}), bind(Int64{node.retry.failureRetryMs}), now;
    } else {
        session << "UPDATE nodes SET url = ?, secret = ?, priority = ?,"
                   " keep_lines_for_receive = ?, kill_time_ms = ?, max_dials = ?,"
                   " max_connected_tries = ?, busy_retry_ms = ?, failure_retry_ms = ?"
                   " WHERE id = ?",
            bind(node.url), bind(node.secret), bind(node.priority),
            bind(node.keepLinesForReceive), bind(Int64{node.retry.killTimeMs}),
            bind(node.retry.maxDials), bind(node.retry.maxConnectedTries),
            bind(Int64{node.retry.busyRetryMs}), bind(Int64{node.retry.failureRetryMs}),
            bind(node.id), now;
    }
}

// BEGIN (IMMEDIATE for writes) ... COMMIT around `body`; rolls back on any error and turns
// Poco's errors into StoreError. REQUIRES: the store's mutex held.
template <typename Body>
auto inTransaction(Session& session, bool write, const char* operation, Body&& body)
    -> decltype(body()) {
    try {
        session << std::string(write ? "BEGIN IMMEDIATE" : "BEGIN"), now;
    } catch (const Poco::Exception& e) {
        fail(operation, "cannot start a transaction: " + e.displayText());
    }
    auto rollback = [&] {
        try {
            session << "ROLLBACK", now;
        } catch (const Poco::Exception&) {
            // Already rolled back by SQLite; the original error is what matters.
        }
    };
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
        rollback();
        fail(operation, e.displayText());
    } catch (...) {
        rollback();
        throw;
    }
}

}  // namespace

std::vector<CommunicationRecord> SqliteStore::findRecords(const RecordFilter& filter) {
    checkLimit("findRecords", filter.limit);
    // Conditions are fixed SQL text; only the values are bound.
    std::string where = " WHERE 1 = 1";
    if (filter.nodeId) where += " AND node_id = ?";
    if (filter.number) where += " AND number = ?";
    if (filter.direction) where += " AND direction = ?";
    if (filter.jobId) where += " AND job_id = ?";
    if (filter.sinceMs) where += " AND started_ms >= ?";
    if (filter.untilMs) where += " AND started_ms < ?";
    std::lock_guard<std::mutex> lock(mutex_);
    return inTransaction(session_, false, "findRecords", [&] {
        std::vector<RecordRow> rows;
        Statement select(session_);
        select << "SELECT " + kRecordColumns + " FROM records" + where +
                      " ORDER BY seq DESC LIMIT ?";
        // bind() copies each value into the statement.
        if (filter.nodeId) select, bind(*filter.nodeId);
        if (filter.number) select, bind(*filter.number);
        if (filter.direction) select, bind(*filter.direction);
        if (filter.jobId) select, bind(Int64{*filter.jobId});
        if (filter.sinceMs) select, bind(Int64{*filter.sinceMs});
        if (filter.untilMs) select, bind(Int64{*filter.untilMs});
        select, bind(filter.limit), into(rows);
        select.execute();
        std::vector<CommunicationRecord> records;
        records.reserve(rows.size());
        for (const auto& row : rows) records.push_back(toRecord(row));
        return records;
    });
}

void SqliteStore::addUserAudited(const User& user, const AuditEntry& entry) {
    checkId("addUser", "user ID", user.id);
    checkAudit("addUser", entry);
    std::lock_guard<std::mutex> lock(mutex_);
    inTransaction(session_, true, "addUser", [&] {
        if (countWhere(session_, "users", user.id) > 0) {
            fail("addUser", "user " + user.id + " already exists");
        }
        writeUser(session_, user, true);
        insertAudit(session_, entry);
    });
}

void SqliteStore::updateUserAudited(const User& user, const AuditEntry& entry) {
    checkId("updateUser", "user ID", user.id);
    checkAudit("updateUser", entry);
    std::lock_guard<std::mutex> lock(mutex_);
    inTransaction(session_, true, "updateUser", [&] {
        writeUser(session_, user, false);
        if (changedRows(session_) != 1) fail("updateUser", "no user " + user.id);
        insertAudit(session_, entry);
    });
}

void SqliteStore::addNodeAudited(const Node& node, const AuditEntry& entry) {
    checkId("addNode", "node ID", node.id);
    checkAudit("addNode", entry);
    std::lock_guard<std::mutex> lock(mutex_);
    inTransaction(session_, true, "addNode", [&] {
        if (countWhere(session_, "nodes", node.id) > 0) {
            fail("addNode", "node " + node.id + " already exists");
        }
        writeNode(session_, node, true);
        insertAudit(session_, entry);
    });
}

void SqliteStore::updateNodeAudited(const Node& node, const AuditEntry& entry) {
    checkId("updateNode", "node ID", node.id);
    checkAudit("updateNode", entry);
    std::lock_guard<std::mutex> lock(mutex_);
    inTransaction(session_, true, "updateNode", [&] {
        writeNode(session_, node, false);
        if (changedRows(session_) != 1) fail("updateNode", "no node " + node.id);
        insertAudit(session_, entry);
    });
}

void SqliteStore::setNodeOrder(const std::vector<std::string>& order, const AuditEntry& entry) {
    checkAudit("setNodeOrder", entry);
    const std::set<std::string> named(order.begin(), order.end());
    if (named.size() != order.size()) fail("setNodeOrder", "a node is named twice");
    std::lock_guard<std::mutex> lock(mutex_);
    inTransaction(session_, true, "setNodeOrder", [&] {
        std::vector<std::string> ids;
        session_ << "SELECT id FROM nodes", into(ids), now;
        if (std::set<std::string>(ids.begin(), ids.end()) != named) {
            fail("setNodeOrder", "the order must name every node exactly once");
        }
        int priority = 10;
        for (const std::string& id : order) {
            session_ << "UPDATE nodes SET priority = ? WHERE id = ?", bind(priority), bind(id),
                now;
            priority += 10;
        }
        insertAudit(session_, entry);
    });
}

void SqliteStore::addAuditEntry(const AuditEntry& entry) {
    checkAudit("addAuditEntry", entry);
    std::lock_guard<std::mutex> lock(mutex_);
    inTransaction(session_, true, "addAuditEntry", [&] { insertAudit(session_, entry); });
}

std::vector<AuditEntry> SqliteStore::listAuditEntries(int limit) {
    checkLimit("listAuditEntries", limit);
    std::lock_guard<std::mutex> lock(mutex_);
    return inTransaction(session_, false, "listAuditEntries", [&] {
        std::vector<AuditRow> rows;
        session_ << "SELECT id, time_ms, admin_user, client_address, action, target, changes"
                    " FROM audit_log ORDER BY id DESC LIMIT ?",
            bind(limit), into(rows), now;
        std::vector<AuditEntry> entries;
        entries.reserve(rows.size());
        for (const auto& row : rows) entries.push_back(toAuditEntry(row));
        return entries;
    });
}

}  // namespace faxgate::gateway
