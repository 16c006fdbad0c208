package dashboard

import (
	"net/http"
	"strconv"

	"github.com/binvault/binvault"
)

// The bin page's smaller forms: rename, privacy, versions.

// binMetaChange runs a change of a bin's metadata and shows the bin page
// again, with the change's error inline or a notice.
func (h *handler) binMetaChange(w http.ResponseWriter, r *http.Request, s *session, notice string, change func() error) {
	ctx, id := r.Context(), r.PathValue("id")
	err := change()
	if err != nil && !inline(err) {
		h.fail(w, s, err)
		return
	}
	b, record, rerr := h.v.ReadBin(ctx, s.cred(), id, binvault.Latest)
	if rerr != nil {
		h.fail(w, s, rerr)
		return
	}
	v, code := s.view("Bin "+b.ID, "", formOf(b, pretty(record))), http.StatusOK
	if err != nil {
		v.Error, code = binvault.ErrorMessage(err), http.StatusBadRequest
	} else {
		v.Notice = notice
	}
	h.render(w, code, "bin", v)
}

func (h *handler) renameBin(w http.ResponseWriter, r *http.Request, s *session) {
	name := r.PostFormValue("name")
	h.binMetaChange(w, r, s, "Renamed.", func() error {
		_, err := h.v.RenameBin(r.Context(), s.cred(), r.PathValue("id"), &name)
		return err
	})
}

func (h *handler) setBinPrivacy(w http.ResponseWriter, r *http.Request, s *session) {
	private := r.PostFormValue("private") == "true"
	notice := "The bin is now public: anyone with its id can read and update it."
	if private {
		notice = "The bin is now private."
	}
	h.binMetaChange(w, r, s, notice, func() error {
		_, err := h.v.SetBinPrivacy(r.Context(), s.cred(), r.PathValue("id"), &private)
		return err
	})
}

func (h *handler) deleteVersions(w http.ResponseWriter, r *http.Request, s *session) {
	keepLatest := r.PostFormValue("keep") != "base"
	h.binMetaChange(w, r, s, "Older versions deleted.", func() error {
		_, err := h.v.DeleteVersions(r.Context(), s.cred(), r.PathValue("id"), keepLatest)
		return err
	})
}

// versionView is one stored version, read only.
type versionView struct {
	ID      string
	Version int
	Latest  int
	Record  string
}

func (h *handler) binVersion(w http.ResponseWriter, r *http.Request, s *session) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 0 {
		h.fail(w, s, binvault.Errorf(binvault.ENOTFOUND, "%s", binvault.MsgBinVersionNotFound))
		return
	}
	b, record, err := h.v.ReadBin(r.Context(), s.cred(), r.PathValue("id"), n)
	if err != nil {
		h.fail(w, s, err)
		return
	}
	h.render(w, http.StatusOK, "version", s.view("Bin "+b.ID+", version "+strconv.Itoa(n), "",
		versionView{ID: b.ID, Version: n, Latest: b.Version, Record: pretty(record)}))
}
