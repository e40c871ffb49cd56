// Text forms of the store's enumerations. These strings are what the SQLite store writes in
// its state columns and what the admin tool and the result mails show, so they are part of
// the on-disk format: change one only together with a schema migration.
#include "gateway/store/types.h"

#include <array>
#include <utility>

namespace faxgate::gateway {
namespace {

constexpr std::array<std::pair<Role, const char*>, 2> kRoleNames{{
    {Role::User, "user"},
    {Role::Admin, "admin"},
}};

constexpr std::array<std::pair<SubmissionState, const char*>, 3> kSubmissionStateNames{{
    {SubmissionState::Converting, "converting"},
    {SubmissionState::Ready, "ready"},
    {SubmissionState::Failed, "failed"},
}};

constexpr std::array<std::pair<JobState, const char*>, 7> kJobStateNames{{
    {JobState::Converting, "converting"},
    {JobState::Queued, "queued"},
    {JobState::RetryWait, "retry_wait"},
    {JobState::Dispatched, "dispatched"},
    {JobState::Done, "done"},
    {JobState::Failed, "failed"},
    {JobState::Cancelled, "cancelled"},
}};

template <typename Enum, std::size_t N>
std::string nameOf(const std::array<std::pair<Enum, const char*>, N>& names, Enum value) {
    for (const auto& [candidate, name] : names) {
        if (candidate == value) return name;
    }
    // Only reachable with a value cast from an out-of-range integer.
    return "unknown(" + std::to_string(static_cast<int>(value)) + ")";
}

template <typename Enum, std::size_t N>
std::optional<Enum> valueOf(const std::array<std::pair<Enum, const char*>, N>& names,
                            const std::string& text) {
    for (const auto& [value, name] : names) {
        if (text == name) return value;
    }
    return std::nullopt;
}

constexpr std::array<std::pair<RouteField, const char*>, 3> kRouteFieldNames{{
    {RouteField::Called, "called"},
    {RouteField::Caller, "caller"},
    {RouteField::Csid, "csid"},
}};

constexpr std::array<std::pair<RouteMatch, const char*>, 3> kRouteMatchNames{{
    {RouteMatch::Exact, "exact"},
    {RouteMatch::Prefix, "prefix"},
    {RouteMatch::Pattern, "pattern"},
}};

}  // namespace

std::string toString(Role role) { return nameOf(kRoleNames, role); }

std::optional<Role> roleFromString(const std::string& text) { return valueOf(kRoleNames, text); }

std::string toString(SubmissionState state) { return nameOf(kSubmissionStateNames, state); }

std::optional<SubmissionState> submissionStateFromString(const std::string& text) {
    return valueOf(kSubmissionStateNames, text);
}

std::string toString(JobState state) { return nameOf(kJobStateNames, state); }

std::optional<JobState> jobStateFromString(const std::string& text) {
    return valueOf(kJobStateNames, text);
}

bool isFinal(JobState state) {
    return state == JobState::Done || state == JobState::Failed || state == JobState::Cancelled;
}

bool isAttachmentFormat(const std::string& format) {
    return format == "pdf" || format == "tiff" || format == "both";
}

std::string toString(RouteField field) { return nameOf(kRouteFieldNames, field); }
std::string toString(RouteMatch match) { return nameOf(kRouteMatchNames, match); }

std::optional<RouteField> routeFieldFromString(const std::string& text) {
    return valueOf(kRouteFieldNames, text);
}

std::optional<RouteMatch> routeMatchFromString(const std::string& text) {
    return valueOf(kRouteMatchNames, text);
}

}  // namespace faxgate::gateway
