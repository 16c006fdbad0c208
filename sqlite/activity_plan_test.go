package sqlite

import (
	"strings"
	"testing"
)

// The log's queries must reach an account's entries through its index and
// an id range, never by reading a table whole: activity holds every
// account's entries, millions of them. SQLite plans on empty tables here,
// without statistics, as it does on a fresh store.
func TestActivityQueriesUseIndexes(t *testing.T) {
	s, err := Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const byAccount = "USING INDEX activity_by_account (account_id=? AND rowid>? AND rowid<?)"
	for _, tc := range []struct {
		name  string
		query string
		args  []any
		want  string // a line the plan must have
	}{
		{"ListActivity", sqlListActivity, []any{"ada", nil, nil, 1, 2, 3, "", "", 100}, "SEARCH activity " + byAccount},
		{"ListActivitySinceUntil", sqlListActivity, []any{"ada", 10, 20, 1, 2, 3, "api_key", "key", 100}, "SEARCH activity " + byAccount},
		{"PruneActivityHour", sqlPruneActivityHour, []any{"ada", 10, 20, 100}, "SEARCH a " + byAccount},
		{"DropEmptyActivityHour", sqlDropEmptyActivityHour, []any{"ada", 10}, "SEARCH a " + byAccount},
		{"ActivityDays", sqlActivityHours, []any{"ada"}, "SEARCH activity_hours USING PRIMARY KEY (account_id=?)"},
		{"HoursToPrune", sqlActivityHoursUpTo, []any{10}, "SEARCH activity_hours USING COVERING INDEX activity_hours_by_hour (hour<?)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := queryPlan(t, s, tc.query, tc.args...)
			for _, line := range plan {
				if strings.HasPrefix(line, "SCAN ") {
					t.Errorf("plan reads a table whole: %q", line)
				}
			}
			if !strings.Contains(strings.Join(plan, "\n"), tc.want) {
				t.Errorf("plan lacks %q:\n%s", tc.want, strings.Join(plan, "\n"))
			}
		})
	}
}

func queryPlan(tb testing.TB, s *Store, query string, args ...any) []string {
	tb.Helper()
	rows, err := s.log.read.QueryContext(tb.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			tb.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return plan
}
