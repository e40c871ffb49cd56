// SqliteStore, administration part (see store.h, "Administration"): the filtered record
// search and the changes the admin API makes, each written in one transaction together with
// its audit_log row, so the log can never miss a change that was committed.
//
// Kept apart from sqlite_store.cpp so the admin API's storage can grow without touching the
// core store. The transaction helper, checks, rows and user/node statements it shares with the
// other parts are in sqlite_store_internal.h; the tables are created by the migrations in
// sqlite_store.cpp. The versioned settings (settings_versions, settings_secrets) live here too:
// a version is always written by the audited change that registers it.
//
// Diagnostics: StoreError("store: <operation>: <what>"), as in the rest of the store.
#include <Poco/Data/Statement.h>
#include <Poco/Tuple.h>

#include <set>

#include "gateway/store/sqlite_store.h"
#include "gateway/store/sqlite_store_internal.h"

namespace faxgate::gateway {

namespace sqlite_internal {

using namespace Poco::Data::Keywords;

void checkAudit(const char* operation, const AuditEntry& entry) {
    if (entry.action.empty()) fail(operation, "audit entry without an action");
    if (entry.adminUser.empty()) fail(operation, "audit entry without an administrator");
}

// Writes one snapshot as the scope's next version, after checking its base version.
static Poco::Int64 insertSnapshot(Poco::Data::Session& session, const SettingsSnapshot& snapshot,
                                  Poco::Int64 auditId) {
    if (snapshot.scope.empty()) fail("audit", "settings snapshot without a scope");
    Poco::Int64 latest = 0;
    session << "SELECT COALESCE(MAX(version), 0) FROM settings_versions WHERE scope = ?",
        bind(snapshot.scope), into(latest), now;
    if (snapshot.baseVersion && *snapshot.baseVersion != latest) {
        throw SettingsConflict("store: settings of " + snapshot.scope + " are at version " +
                                   std::to_string(latest) + ", the change was based on " +
                                   std::to_string(*snapshot.baseVersion),
                               latest);
    }
    session << "INSERT INTO settings_versions (scope, version, document, audit_id)"
               " VALUES (?, ?, ?, ?)",
        bind(snapshot.scope), bind(latest + 1), bind(snapshot.document), bind(auditId), now;
    return latest + 1;
}

Poco::Int64 insertAudit(Poco::Data::Session& session, const AuditEntry& entry) {
    session << "INSERT INTO audit_log (time_ms, admin_user, client_address, action, target,"
               " changes) VALUES (?, ?, ?, ?, ?, ?)",
        bind(Poco::Int64{entry.timeMs}), bind(entry.adminUser), bind(entry.clientAddress),
        bind(entry.action), bind(entry.target), bind(entry.changes.empty() ? "{}" : entry.changes),
        now;
    if (!entry.snapshot && entry.relatedSnapshots.empty()) return 0;
    const Poco::Int64 auditId = lastInsertId(session);
    const Poco::Int64 version =
        entry.snapshot ? insertSnapshot(session, *entry.snapshot, auditId) : 0;
    for (const SettingsSnapshot& related : entry.relatedSnapshots) {
        if (entry.snapshot && related.scope == entry.snapshot->scope) {
            fail("audit", "two snapshots of " + related.scope + " in one change");
        }
        insertSnapshot(session, related, auditId);
    }
    return version;
}

}  // namespace sqlite_internal

namespace {

using namespace Poco::Data::Keywords;
using Poco::Int64;
using Poco::Data::Session;
using Poco::Data::Statement;

using sqlite_internal::changedRows;
using sqlite_internal::checkAudit;
using sqlite_internal::checkId;
using sqlite_internal::checkLimit;
using sqlite_internal::countById;
using sqlite_internal::fail;
using sqlite_internal::insertAudit;
using sqlite_internal::insertNodeRow;
using sqlite_internal::insertUserRow;
using sqlite_internal::kRecordColumns;
using sqlite_internal::RecordRow;
using sqlite_internal::toRecord;
using sqlite_internal::updateUserRow;

using AuditRow =
    Poco::Tuple<Int64, Int64, std::string, std::string, std::string, std::string, std::string>;

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

// Writes every column but the ID; check changedRows() to learn whether the node exists.
void updateNodeRow(Session& session, const Node& node) {
    session << "UPDATE nodes SET url = ?, secret = ?, priority = ?,"
               " keep_lines_for_receive = ?, kill_time_ms = ?, max_dials = ?,"
               " max_connected_tries = ?, busy_retry_ms = ?, failure_retry_ms = ?,"
               " previous_secret = ? WHERE id = ?",
        bind(node.url), bind(node.secret), bind(node.priority), bind(node.keepLinesForReceive),
        bind(Int64{node.retry.killTimeMs}), bind(node.retry.maxDials),
        bind(node.retry.maxConnectedTries), bind(Int64{node.retry.busyRetryMs}),
        bind(Int64{node.retry.failureRetryMs}), bind(node.previousSecret), bind(node.id), now;
}

}  // namespace

std::vector<CommunicationRecord> SqliteStore::findRecords(const RecordFilter& filter) {
    checkLimit("findRecords", filter.limit);
    // Conditions are fixed SQL text; only the values are bound.
    std::string where = " WHERE 1 = 1";
    if (filter.nodeId) where += " AND node_id = ?";
    // routed_to is "alice,bob" ("blocked" for a blocked fax): with commas around both sides
    // an ID matches only as a whole, never as a part of another ID.
    if (filter.user) {
        where +=
            " AND ((direction = 'send' AND job_id IN (SELECT id FROM jobs WHERE owner = ?))"
            " OR (direction = 'receive' AND routed_to <> 'blocked'"
            " AND instr(',' || routed_to || ',', ',' || ? || ',') > 0))";
    }
    if (filter.number) where += " AND number = ?";
    if (filter.direction) where += " AND direction = ?";
    if (filter.jobId) where += " AND job_id = ?";
    if (filter.sinceMs) where += " AND started_ms >= ?";
    if (filter.untilMs) where += " AND started_ms < ?";
    return readTransaction("findRecords", [&] {
        std::vector<RecordRow> rows;
        Statement select(session_);
        select << "SELECT " + kRecordColumns + " FROM records" + where +
                      " ORDER BY seq DESC LIMIT ?";
        // bind() copies each value into the statement.
        if (filter.nodeId) select, bind(*filter.nodeId);
        if (filter.user) select, bind(*filter.user), bind(*filter.user);
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

int64_t SqliteStore::addUserAudited(const User& user, const AuditEntry& entry) {
    checkId("addUser", "user ID", user.id);
    checkAudit("addUser", entry);
    return writeTransaction("addUser", [&] {
        if (countById(session_, "users", user.id) > 0) {
            fail("addUser", "user " + user.id + " already exists");
        }
        insertUserRow(session_, user);
        return insertAudit(session_, entry);
    });
}

int64_t SqliteStore::updateUserAudited(const User& user, const AuditEntry& entry) {
    checkId("updateUser", "user ID", user.id);
    checkAudit("updateUser", entry);
    return writeTransaction("updateUser", [&] {
        updateUserRow(session_, user);
        if (changedRows(session_) != 1) fail("updateUser", "no user " + user.id);
        return insertAudit(session_, entry);
    });
}

int64_t SqliteStore::addNodeAudited(const Node& node, const AuditEntry& entry) {
    checkId("addNode", "node ID", node.id);
    checkAudit("addNode", entry);
    return writeTransaction("addNode", [&] {
        if (countById(session_, "nodes", node.id) > 0) {
            fail("addNode", "node " + node.id + " already exists");
        }
        insertNodeRow(session_, node, /*replaceExisting=*/false);
        return insertAudit(session_, entry);
    });
}

int64_t SqliteStore::updateNodeAudited(const Node& node, const AuditEntry& entry) {
    checkId("updateNode", "node ID", node.id);
    checkAudit("updateNode", entry);
    return writeTransaction("updateNode", [&] {
        updateNodeRow(session_, node);
        if (changedRows(session_) != 1) fail("updateNode", "no node " + node.id);
        return insertAudit(session_, entry);
    });
}

int64_t SqliteStore::setNodeOrder(const std::vector<std::string>& order, const AuditEntry& entry) {
    checkAudit("setNodeOrder", entry);
    const std::set<std::string> named(order.begin(), order.end());
    if (named.size() != order.size()) fail("setNodeOrder", "a node is named twice");
    return writeTransaction("setNodeOrder", [&] {
        std::vector<std::string> ids;
        session_ << "SELECT id FROM nodes", into(ids), now;
        if (std::set<std::string>(ids.begin(), ids.end()) != named) {
            fail("setNodeOrder", "the order must name every node exactly once");
        }
        int priority = 10;
        for (const std::string& id : order) {
            session_ << "UPDATE nodes SET priority = ? WHERE id = ?", bind(priority), bind(id), now;
            priority += 10;
        }
        return insertAudit(session_, entry);
    });
}

int64_t SqliteStore::setUserNodesAudited(const std::map<std::string, std::string>& nodeOfUser,
                                         const AuditEntry& entry) {
    checkAudit("setUserNodes", entry);
    return writeTransaction("setUserNodes", [&] {
        std::vector<std::string> users;
        session_ << "SELECT id FROM users", into(users), now;
        const std::set<std::string> known(users.begin(), users.end());
        for (const auto& [user, node] : nodeOfUser) {
            if (!known.count(user)) fail("setUserNodes", "no user " + user);
            if (!node.empty() && countById(session_, "nodes", node) == 0) {
                fail("setUserNodes", "no node " + node + " (for user " + user + ")");
            }
        }
        for (const std::string& user : users) {
            auto it = nodeOfUser.find(user);
            const std::string node = it == nodeOfUser.end() ? std::string() : it->second;
            session_ << "UPDATE users SET default_node = ? WHERE id = ?", bind(node), bind(user),
                now;
        }
        return insertAudit(session_, entry);
    });
}

int64_t SqliteStore::replaceSettingsSecretsAudited(
    const std::string& scope, const std::map<std::string, std::string>& secrets,
    const AuditEntry& entry) {
    checkId("replaceSettingsSecrets", "scope", scope);
    checkAudit("replaceSettingsSecrets", entry);
    return writeTransaction("replaceSettingsSecrets", [&] {
        session_ << "DELETE FROM settings_secrets WHERE scope = ?", bind(scope), now;
        for (const auto& [name, value] : secrets) {
            session_ << "INSERT INTO settings_secrets (scope, name, value) VALUES (?, ?, ?)",
                bind(scope), bind(name), bind(value), now;
        }
        return insertAudit(session_, entry);
    });
}

std::map<std::string, std::string> SqliteStore::loadSettingsSecrets(const std::string& scope) {
    return readTransaction("loadSettingsSecrets", [&] {
        std::vector<Poco::Tuple<std::string, std::string>> rows;
        session_ << "SELECT name, value FROM settings_secrets WHERE scope = ?", bind(scope),
            into(rows), now;
        std::map<std::string, std::string> secrets;
        for (const auto& row : rows) secrets[row.get<0>()] = row.get<1>();
        return secrets;
    });
}

int64_t SqliteStore::addAuditEntry(const AuditEntry& entry) {
    checkAudit("addAuditEntry", entry);
    return writeTransaction("addAuditEntry", [&] { return insertAudit(session_, entry); });
}

std::vector<AuditEntry> SqliteStore::listAuditEntries(int limit) {
    checkLimit("listAuditEntries", limit);
    return readTransaction("listAuditEntries", [&] {
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

// ---- Settings versions -------------------------------------------------------------------

namespace {

const std::string kVersionSelect =
    "SELECT v.scope, v.version, v.document, a.time_ms, a.admin_user, a.client_address,"
    " a.action FROM settings_versions v JOIN audit_log a ON a.id = v.audit_id";
using VersionRow =
    Poco::Tuple<std::string, Int64, std::string, Int64, std::string, std::string, std::string>;

SettingsVersion toSettingsVersion(const VersionRow& row) {
    SettingsVersion version;
    version.scope = row.get<0>();
    version.version = row.get<1>();
    version.document = row.get<2>();
    version.timeMs = row.get<3>();
    version.adminUser = row.get<4>();
    version.clientAddress = row.get<5>();
    version.action = row.get<6>();
    return version;
}

}  // namespace

std::optional<SettingsVersion> SqliteStore::latestSettings(const std::string& scope) {
    return readTransaction("latestSettings", [&]() -> std::optional<SettingsVersion> {
        std::vector<VersionRow> rows;
        session_ << kVersionSelect + " WHERE v.scope = ? ORDER BY v.version DESC LIMIT 1",
            bind(scope), into(rows), now;
        if (rows.empty()) return std::nullopt;
        return toSettingsVersion(rows.front());
    });
}

std::optional<SettingsVersion> SqliteStore::findSettingsVersion(const std::string& scope,
                                                                int64_t version) {
    return readTransaction("findSettingsVersion", [&]() -> std::optional<SettingsVersion> {
        std::vector<VersionRow> rows;
        session_ << kVersionSelect + " WHERE v.scope = ? AND v.version = ?", bind(scope),
            bind(Int64{version}), into(rows), now;
        if (rows.empty()) return std::nullopt;
        return toSettingsVersion(rows.front());
    });
}

std::vector<SettingsVersion> SqliteStore::listSettingsVersions(const std::string& scope,
                                                               int limit) {
    checkLimit("listSettingsVersions", limit);
    return readTransaction("listSettingsVersions", [&] {
        std::vector<VersionRow> rows;
        session_ << kVersionSelect + " WHERE v.scope = ? ORDER BY v.version DESC LIMIT ?",
            bind(scope), bind(limit), into(rows), now;
        std::vector<SettingsVersion> versions;
        versions.reserve(rows.size());
        for (const auto& row : rows) versions.push_back(toSettingsVersion(row));
        return versions;
    });
}

void SqliteStore::recordNodeSettingsStatus(const NodeSettingsStatus& status) {
    checkId("recordNodeSettingsStatus", "node ID", status.nodeId);
    writeTransaction("recordNodeSettingsStatus", [&] {
        session_
            << "INSERT INTO node_settings_status (node_id, applied_version, applied_ms,"
               " error, error_version) VALUES (?, ?, ?, ?, ?)"
               " ON CONFLICT (node_id) DO UPDATE SET applied_version = excluded.applied_version,"
               " applied_ms = excluded.applied_ms, error = excluded.error,"
               " error_version = excluded.error_version",
            bind(status.nodeId), bind(Int64{status.appliedVersion}), bind(Int64{status.appliedMs}),
            bind(status.error), bind(Int64{status.errorVersion}), now;
    });
}

std::optional<NodeSettingsStatus> SqliteStore::findNodeSettingsStatus(const std::string& nodeId) {
    return readTransaction("findNodeSettingsStatus", [&]() -> std::optional<NodeSettingsStatus> {
        std::vector<Poco::Tuple<Int64, Int64, std::string, Int64>> rows;
        session_ << "SELECT applied_version, applied_ms, error, error_version"
                    " FROM node_settings_status WHERE node_id = ?",
            bind(nodeId), into(rows), now;
        if (rows.empty()) return std::nullopt;
        NodeSettingsStatus status;
        status.nodeId = nodeId;
        status.appliedVersion = rows.front().get<0>();
        status.appliedMs = rows.front().get<1>();
        status.error = rows.front().get<2>();
        status.errorVersion = rows.front().get<3>();
        return status;
    });
}

}  // namespace faxgate::gateway
