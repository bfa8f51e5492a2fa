package opendata

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// validForm returns a complete approval form; tests change one thing at a time.
func validForm() ApprovalForm {
	return ApprovalForm{
		OwnerDepartment: "Natural Resources Canada", OwnerSector: "Canadian Forest Service",
		OwnerBranch: "Science", OwnerDivision: "Forest Data", OwnerSection: "Inventory",
		OwnerName: "Jane Doe", OwnerPhone: "613-555-0100 ext. 12", OwnerEmail: "jane.doe@nrcan-rncan.gc.ca",
		DatasetTitle: "Forest cover of Canada, 2023", TypeOfData: TypeData,
		CopyrightCleared: true, AuthorityToRelease: true, NoPersonalInformation: true,
		NotClassifiedOrProtected: true, FreeOfCharge: true, MachineReadable: true,
		NonProprietaryFormat: true, OfficialLanguages: true,
	}
}

func TestApprovalFormValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*ApprovalForm)
		want []string // summary of the errors
	}{
		{"valid", func(*ApprovalForm) {}, nil},
		{"only what is required", func(f *ApprovalForm) {
			f.OwnerDepartment, f.OwnerSector, f.OwnerBranch, f.OwnerDivision, f.OwnerSection, f.OwnerPhone = "", "", "", "", "", ""
		}, nil},
		{"information", func(f *ApprovalForm) { f.TypeOfData = TypeInformation }, nil},
		{"spaces trimmed", func(f *ApprovalForm) { f.OwnerEmail, f.TypeOfData = " jane@example.gc.ca ", " data " }, nil},
		{"empty form", func(f *ApprovalForm) { *f = ApprovalForm{} }, []string{
			"owner_name:required", "owner_email:required", "dataset_title:required", "type_of_data:required",
			"copyright_cleared:required", "authority_to_release:required", "no_personal_information:required",
			"not_classified_or_protected:required", "free_of_charge:required", "machine_readable:required",
			"non_proprietary_format:required", "official_languages:required",
		}},
		{"blank name", func(f *ApprovalForm) { f.OwnerName = " \t " }, []string{"owner_name:required"}},
		{"bad email", func(f *ApprovalForm) { f.OwnerEmail = "Jane <jane@example.gc.ca>" }, []string{"owner_email:invalid_format:email"}},
		{"email without domain dot", func(f *ApprovalForm) { f.OwnerEmail = "jane@localhost" }, []string{"owner_email:invalid_format:email"}},
		{"email too long", func(f *ApprovalForm) { f.OwnerEmail = strings.Repeat("a", 250) + "@x.ca" }, []string{"owner_email:too_long"}},
		{"unknown type", func(f *ApprovalForm) { f.TypeOfData = "spreadsheet" }, []string{"type_of_data:invalid_choice"}},
		{"name too long", func(f *ApprovalForm) { f.OwnerName = strings.Repeat("é", MaxPersonName+1) }, []string{"owner_name:too_long"}},
		{"name at the limit", func(f *ApprovalForm) { f.OwnerName = strings.Repeat("é", MaxPersonName) }, nil},
		{"phone too long", func(f *ApprovalForm) { f.OwnerPhone = strings.Repeat("1", MaxPhone+1) }, []string{"owner_phone:too_long"}},
		{"title too long", func(f *ApprovalForm) { f.DatasetTitle = strings.Repeat("t", MaxTitle+1) }, []string{"dataset_title:too_long"}},
		{"org units too long", func(f *ApprovalForm) {
			long := strings.Repeat("o", MaxOrgUnit+1)
			f.OwnerDepartment, f.OwnerSector, f.OwnerBranch, f.OwnerDivision, f.OwnerSection = long, long, long, long, long
		}, []string{"owner_department:too_long", "owner_sector:too_long", "owner_branch:too_long",
			"owner_division:too_long", "owner_section:too_long"}},
		{"control characters", func(f *ApprovalForm) { f.DatasetTitle = "a\x07b" }, []string{"dataset_title:invalid_format:control"}},
		{"line break in a one-line field", func(f *ApprovalForm) { f.OwnerSection = "a\nb" }, []string{"owner_section:invalid_format:control"}},
		{"exceptions need a text", func(f *ApprovalForm) { f.SubjectToExceptions = true }, []string{"exceptions:required"}},
		{"exceptions with a text", func(f *ApprovalForm) {
			f.SubjectToExceptions, f.Exceptions = true, "Section 20(1)(b):\nthird-party data."
		}, nil},
		{"exceptions too long", func(f *ApprovalForm) {
			f.SubjectToExceptions, f.Exceptions = true, strings.Repeat("x", MaxFormText+1)
		}, []string{"exceptions:too_long"}},
		{"exceptions text unticked is dropped", func(f *ApprovalForm) { f.Exceptions = strings.Repeat("x\x00", MaxFormText) }, nil},
		{"other blanket approval needs a text", func(f *ApprovalForm) { f.BlanketOther = true }, []string{"blanket_other_text:required"}},
		{"other blanket approval", func(f *ApprovalForm) { f.BlanketOther, f.BlanketOtherText = true, "Monthly updates" }, nil},
		{"blanket approvals without text", func(f *ApprovalForm) {
			f.BlanketOngoing, f.BlanketCollection, f.BlanketInSitu = true, true, true
		}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := validForm()
			c.edit(&f)
			got := summary(f.Validate())
			if !slices.Equal(got, c.want) {
				t.Errorf("errors %q, want %q", got, c.want)
			}
			if f.Complete() != (len(c.want) == 0) {
				t.Errorf("Complete() = %v with errors %q", f.Complete(), got)
			}
		})
	}
}

func TestEachCriterionIsRequired(t *testing.T) {
	for i, c := range validForm().ReleaseCriteria() {
		f := validForm()
		// Untick the i-th criterion through its JSON name, which must match its field name.
		m := map[string]any{}
		b, _ := json.Marshal(f)
		_ = json.Unmarshal(b, &m)
		if m[c.Field] != true {
			t.Fatalf("criterion %d: JSON has no field %s", i, c.Field)
		}
		m[c.Field] = false
		b, _ = json.Marshal(m)
		f = ApprovalForm{}
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatal(err)
		}
		if got := summary(f.Validate()); !slices.Equal(got, []string{c.Field + ":required"}) {
			t.Errorf("without %s: errors %q", c.Field, got)
		}
	}
	if n := len(validForm().ReleaseCriteria()); n != 8 {
		t.Errorf("%d release criteria, want 8", n)
	}
}

func TestTypeOfDataSuggestion(t *testing.T) {
	for in, want := range map[string]string{"Data": TypeData, "DONNÉES": TypeData, "Information": TypeInformation,
		"renseignements": TypeInformation, "table": ""} {
		f := validForm()
		f.TypeOfData = in
		errs := f.Validate()
		if len(errs) != 1 || errs[0].Code != CodeInvalidChoice || errs[0].Suggestion != want ||
			!slices.Equal(errs[0].Allowed, TypesOfData) || errs[0].Value != in {
			t.Errorf("%q: errors %+v, want a suggestion of %q", in, errs, want)
		}
	}
}

func TestApprovalFormClean(t *testing.T) {
	f := validForm()
	f.OwnerName, f.Exceptions, f.BlanketOtherText = "  Jane Doe\t", "stale", "stale"
	got := f.Clean()
	if got.OwnerName != "Jane Doe" || got.Exceptions != "" || got.BlanketOtherText != "" {
		t.Errorf("Clean() = %+v", got)
	}
	f.SubjectToExceptions, f.BlanketOther = true, true
	if got := f.Clean(); got.Exceptions != "stale" || got.BlanketOtherText != "stale" {
		t.Errorf("Clean() dropped ticked texts: %+v", got)
	}
	if f.OwnerName != "  Jane Doe\t" {
		t.Error("Clean changed its receiver")
	}
}

func TestApprovalFormJSON(t *testing.T) {
	f := validForm()
	f.SubjectToExceptions, f.Exceptions, f.BlanketOther, f.BlanketOtherText = true, "ATIP 20(1)", true, "Monthly"
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]any
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	want := []string{
		FormOwnerDepartment, FormOwnerSector, FormOwnerBranch, FormOwnerDivision, FormOwnerSection,
		FormOwnerName, FormOwnerPhone, FormOwnerEmail, FormDatasetTitle, FormTypeOfData,
		FormCopyrightCleared, FormAuthorityToRelease, FormNoPersonalInformation, FormNotClassifiedOrProtected,
		FormFreeOfCharge, FormMachineReadable, FormNonProprietaryFormat, FormOfficialLanguages,
		FormSubjectToExceptions, FormExceptions, FormBlanketOngoing, FormBlanketCollection,
		FormBlanketInSitu, FormBlanketOther, FormBlanketOtherText,
	}
	for _, k := range want {
		if _, ok := keys[k]; !ok {
			t.Errorf("JSON lacks %s: %s", k, b)
		}
	}
	if len(keys) != len(want) || reflect.TypeFor[ApprovalForm]().NumField() != len(want) {
		t.Errorf("JSON has %d keys, the struct %d fields, want %d", len(keys), reflect.TypeFor[ApprovalForm]().NumField(), len(want))
	}
	var back ApprovalForm
	if err := json.Unmarshal(b, &back); err != nil || back != f {
		t.Errorf("round trip: %+v, %v", back, err)
	}
}

func TestUnfinished(t *testing.T) {
	for _, c := range []struct {
		code string
		want bool
	}{
		{CodeRequired, true},
		{CodeTooLong, false},
		{CodeTooShort, false},
		{CodeTooMany, false},
		{CodeInvalidFormat, false},
		{CodeInvalidChoice, false},
		{CodeRepeatedChoice, false},
		{CodeInvalidDate, false},
		{CodeFutureDate, false},
		{CodeDateOrder, false},
		{CodeUnknownField, false},
		{CodeDuplicate, false},
		{CodeMalformedJSON, false},
	} {
		if got := Unfinished(FieldError{Field: FormOwnerName, Code: c.code}); got != c.want {
			t.Errorf("Unfinished(%s) = %v, want %v", c.code, got, c.want)
		}
	}
}

func TestApprovalFormProblems(t *testing.T) {
	for _, c := range []struct {
		name             string
		edit             func(*ApprovalForm)
		unfinished, want []string // summaries of each list
	}{
		{"complete", func(*ApprovalForm) {}, nil, nil},
		{"empty form is only unfinished", func(f *ApprovalForm) { *f = ApprovalForm{} }, []string{
			"owner_name:required", "owner_email:required", "dataset_title:required", "type_of_data:required",
			"copyright_cleared:required", "authority_to_release:required", "no_personal_information:required",
			"not_classified_or_protected:required", "free_of_charge:required", "machine_readable:required",
			"non_proprietary_format:required", "official_languages:required",
		}, nil},
		{"criterion not confirmed", func(f *ApprovalForm) { f.FreeOfCharge = false }, []string{"free_of_charge:required"}, nil},
		{"ticked options not described", func(f *ApprovalForm) { f.SubjectToExceptions, f.BlanketOther = true, true },
			[]string{"exceptions:required", "blanket_other_text:required"}, nil},
		{"malformed email", func(f *ApprovalForm) { f.OwnerEmail = "jane at nrcan" }, nil, []string{"owner_email:invalid_format:email"}},
		{"phone too long", func(f *ApprovalForm) { f.OwnerPhone = strings.Repeat("6", MaxPhone+1) }, nil, []string{"owner_phone:too_long"}},
		{"control character", func(f *ApprovalForm) { f.OwnerSector = "a\x00b" }, nil, []string{"owner_sector:invalid_format:control"}},
		{"unknown type of data", func(f *ApprovalForm) { f.TypeOfData = "table" }, nil, []string{"type_of_data:invalid_choice"}},
		{"both, each in form order", func(f *ApprovalForm) {
			f.OwnerName, f.OwnerEmail, f.DatasetTitle, f.TypeOfData = "", "jane@", strings.Repeat("t", MaxTitle+1), ""
			f.CopyrightCleared, f.SubjectToExceptions, f.Exceptions = false, true, strings.Repeat("x", MaxFormText+1)
		}, []string{"owner_name:required", "type_of_data:required", "copyright_cleared:required"},
			[]string{"owner_email:invalid_format:email", "dataset_title:too_long", "exceptions:too_long"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := validForm()
			c.edit(&f)
			unfinished, wrong := f.Problems()
			if got := summary(unfinished); !slices.Equal(got, c.unfinished) {
				t.Errorf("unfinished %q, want %q", got, c.unfinished)
			}
			if got := summary(wrong); !slices.Equal(got, c.want) {
				t.Errorf("wrong %q, want %q", got, c.want)
			}
			if n := len(f.Validate()); n != len(unfinished)+len(wrong) {
				t.Errorf("%d problems split into %d and %d", n, len(unfinished), len(wrong))
			}
		})
	}
}
