package ckantest

import (
	"maps"
	"regexp"
	"time"

	"github.com/google/uuid"
)

type actionFunc func(data map[string]any) answer

func (s *Server) actions() map[string]actionFunc {
	return map[string]actionFunc{
		"package_show":      s.packageShow,
		"package_create":    s.packageCreate,
		"package_patch":     s.packagePatch,
		"package_delete":    s.packageDelete,
		"organization_show": s.organizationShow,
	}
}

// idPattern is CKAN's name_validator: lowercase alphanumerics, - and _, 2 to 100 long.
var idPattern = regexp.MustCompile(`^[a-z0-9_-]{2,100}$`)

// lookup finds a dataset by id or name; the caller holds s.mu.
func (s *Server) lookup(ref any) (map[string]any, bool) {
	id, _ := ref.(string)
	if d, ok := s.datasets[id]; ok {
		return d, true
	}
	for _, d := range s.datasets {
		if d["name"] == id {
			return d, true
		}
	}
	return nil, false
}

// findOrg finds an organization by id or name; the caller holds s.mu.
func (s *Server) findOrg(ref any) (org, bool) {
	id, _ := ref.(string)
	for _, o := range s.orgs {
		if id != "" && (o.ID == id || o.Name == id) {
			return o, true
		}
	}
	return org{}, false
}

func (s *Server) packageShow(data map[string]any) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, found := s.lookup(data["id"])
	if !found {
		return notFound()
	}
	return ok(s.view(d))
}

// view is a stored dataset as package_show returns it, with its organization.
func (s *Server) view(d map[string]any) map[string]any {
	out := clone(d)
	if o, found := s.findOrg(d["owner_org"]); found {
		out["organization"] = map[string]any{"id": o.ID, "name": o.Name, "title": o.Title, "type": "organization"}
	}
	return out
}

func (s *Server) packageCreate(data map[string]any) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _ := data["id"].(string)
	switch {
	case data["id"] == nil || id == "":
		id = uuid.NewString()
	case !idPattern.MatchString(id):
		return invalid(map[string]any{"id": []string{"Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_"}})
	}
	if _, exists := s.datasets[id]; exists {
		return invalid(map[string]any{"id": []string{"Dataset id already exists"}})
	}
	ds := clone(data)
	ds["id"] = id
	if name, _ := ds["name"].(string); name == "" {
		ds["name"] = id
	} else if uuid.Validate(name) != nil {
		return invalid(map[string]any{"name": []string{"Name must be a UUID"}})
	} else if _, taken := s.lookup(name); taken {
		return invalid(map[string]any{"name": []string{"That URL is already in use."}})
	}
	ds["state"] = "active"
	stored, a := s.validate(ds)
	if a != nil {
		return *a
	}
	now := s.now().UTC().Format("2006-01-02T15:04:05.000000")
	stored["metadata_created"], stored["metadata_modified"] = now, now
	s.store(id, stored)
	return ok(s.view(stored))
}

func (s *Server) packagePatch(data map[string]any) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, found := s.lookup(data["id"])
	if !found {
		return notFound()
	}
	merged := clone(old)
	maps.Copy(merged, clone(data)) // shallow: a list, an {en, fr} object or resources replace
	merged["id"], merged["name"] = old["id"], old["name"]
	if st, _ := data["state"].(string); st != "active" && st != "deleted" && st != "draft" {
		merged["state"] = old["state"]
	}
	stored, a := s.validate(merged)
	if a != nil {
		return *a
	}
	stored["metadata_created"] = old["metadata_created"]
	stored["metadata_modified"] = s.now().UTC().Format("2006-01-02T15:04:05.000000")
	s.store(old["id"].(string), stored)
	return ok(s.view(stored))
}

func (s *Server) packageDelete(data map[string]any) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, found := s.lookup(data["id"])
	if !found {
		return notFound()
	}
	d["state"] = "deleted"
	d["metadata_modified"] = s.now().UTC().Format(time.RFC3339)
	return ok(nil)
}

func (s *Server) organizationShow(data map[string]any) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, found := s.findOrg(data["id"])
	if !found {
		return notFound()
	}
	return ok(map[string]any{"id": o.ID, "name": o.Name, "title": o.Title, "type": "organization",
		"state": "active", "is_organization": true})
}

// store keeps a validated dataset; the caller holds s.mu.
func (s *Server) store(id string, d map[string]any) {
	if s.onStore != nil {
		s.onStore(d)
	}
	s.datasets[id] = d
}
