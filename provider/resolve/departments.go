package resolve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/dingbridge/dingbridge/dingtalk"
	"github.com/dingbridge/dingbridge/storage"
)

// maxDeptDepth bounds a parent walk, against cycles in a broken directory.
const maxDeptDepth = 64

// deptInfo is what the cache keeps of a department (E22).
type deptInfo struct {
	Name     string `json:"name"`
	ParentID int64  `json:"parent_id"`
}

// deptCacheKey is the cache-table key of a department's name and parent.
func deptCacheKey(corpID string, id int64, lang string) string {
	return "dept:" + corpID + ":" + strconv.FormatInt(id, 10) + ":" + lang
}

// deptReader loads departments of one corp for one login, through the
// cache table and E22, remembering what it saw.
type deptReader struct {
	r      *Resolver
	cc     *dingtalk.CorpClient
	corpID string
	seen   map[int64]deptInfo
}

// get returns a department's name and parent: from this login's memory,
// the Resolver's memory of cache rows, the cache table, or E22 (then cached
// for DepartmentCacheTTL).
func (d *deptReader) get(ctx context.Context, id int64) (deptInfo, error) {
	if di, ok := d.seen[id]; ok {
		return di, nil
	}
	key := deptCacheKey(d.corpID, id, d.r.lang)
	now := d.r.now()
	if di, ok := d.r.depts.get(key, now); ok {
		d.seen[id] = di
		return di, nil
	}
	e, err := d.r.store.GetCache(ctx, key, now)
	if err == nil {
		var di deptInfo
		if json.Unmarshal(e.Value, &di) == nil {
			d.seen[id] = di
			d.r.depts.put(key, di, e.ExpiresAt, now)
			return di, nil
		}
	} else if !errors.Is(err, storage.ErrNotFound) {
		d.r.log.WarnContext(ctx, "resolve: department cache read", "key", key, "err", err)
	}
	dep, err := d.cc.Department(ctx, id, d.r.lang)
	if err != nil {
		return deptInfo{}, err
	}
	di := deptInfo{Name: dep.Name, ParentID: dep.ParentID}
	if id == dingtalk.RootDeptID {
		di.ParentID = 0
	}
	d.seen[id] = di
	now = d.r.now()
	expiresAt := now.Add(d.r.ttl)
	d.r.depts.put(key, di, expiresAt, now)
	v, _ := json.Marshal(di)
	if err := d.r.store.PutCache(ctx, storage.CacheEntry{Key: key, Value: v, ExpiresAt: expiresAt}); err != nil {
		d.r.log.WarnContext(ctx, "resolve: department cache write", "key", key, "err", err)
	}
	return di, nil
}

// chain returns id's ancestors from the direct parent up to the root,
// walking parent ids. ok is false when a department on the way could not be
// read (degradable failure).
func (d *deptReader) chain(ctx context.Context, id int64) (parents []int64, ok bool, err error) {
	cur := id
	for range maxDeptDepth {
		if cur == dingtalk.RootDeptID {
			return parents, true, nil
		}
		di, err := d.get(ctx, cur)
		if err != nil {
			if degradable(err) {
				return parents, false, nil
			}
			return nil, false, err
		}
		if di.ParentID == 0 || di.ParentID == cur {
			return parents, true, nil
		}
		parents = append(parents, di.ParentID)
		cur = di.ParentID
	}
	return parents, true, nil
}

// departments returns the person's departments with names, ancestors and
// paths. Names and parents come from E22 through the cache, so a warm cache
// costs no DingTalk call. When a department on the way cannot be read
// (removed, hidden, no department permission) the ancestor ids come from
// E23 listparentbyuser, which is not limited by the visible range, and the
// unreadable names are left out of the path. Throttling, transport and
// credential errors fail the login.
//
// Path is the names from the root down, joined by "/", without the root
// department (the corp itself, id 1) — "研发部/后端组" — except for the root
// department itself, whose path is its own name.
func (r *Resolver) departments(ctx context.Context, cc *dingtalk.CorpClient, corpID, userID string, ids []int64) ([]storage.Department, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	d := &deptReader{r: r, cc: cc, corpID: corpID, seen: map[int64]deptInfo{}}
	out := make([]storage.Department, 0, len(ids))
	var byUser map[int64][]int64 // E23 chains by department, loaded at most once
	for _, id := range ids {
		if id == dingtalk.RootDeptID {
			if _, err := d.get(ctx, id); err != nil && !degradable(err) {
				return nil, fmt.Errorf("department %d: %w", id, err)
			}
		}
		parents, ok, err := d.chain(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("department %d: %w", id, err)
		}
		if !ok {
			if byUser == nil {
				byUser, err = d.userChains(ctx, userID)
				if err != nil {
					return nil, err
				}
			}
			if c, found := byUser[id]; found {
				parents = c
			}
		}
		dep := storage.Department{ID: id, ParentIDs: parents}
		dep.Name = d.seen[id].Name
		dep.Path = d.path(id, parents)
		out = append(out, dep)
	}
	return out, nil
}

// userChains calls E23 once: each of the user's departments → its ancestors
// from the direct parent to the root. A degradable failure yields no chains.
func (d *deptReader) userChains(ctx context.Context, userID string) (map[int64][]int64, error) {
	lists, err := d.cc.ParentDepartmentsByUser(ctx, userID)
	if err != nil {
		if degradable(err) {
			d.r.log.WarnContext(ctx, "resolve: department parents unavailable", "corp_id", d.corpID, "err", err)
			return map[int64][]int64{}, nil
		}
		return nil, fmt.Errorf("department parents: %w", err)
	}
	out := make(map[int64][]int64, len(lists))
	for _, l := range lists {
		if len(l) == 0 {
			continue
		}
		out[l[0]] = append([]int64(nil), l[1:]...)
	}
	return out, nil
}

// path joins the known names from below the root down to id.
func (d *deptReader) path(id int64, parents []int64) string {
	if id == dingtalk.RootDeptID {
		return d.seen[id].Name
	}
	names := make([]string, 0, len(parents)+1)
	for i := len(parents) - 1; i >= 0; i-- {
		p := parents[i]
		if p == dingtalk.RootDeptID {
			continue
		}
		if n := d.seen[p].Name; n != "" {
			names = append(names, n)
		}
	}
	if n := d.seen[id].Name; n != "" {
		names = append(names, n)
	}
	return strings.Join(names, "/")
}
