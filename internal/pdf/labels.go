package pdf

import "github.com/opendata-datahub/datahub/internal/opendata"

// label is a text of the form in both official languages; the form prints both.
type label struct{ en, fr string }

// The form's fixed text. It stays here rather than in the i18n catalogues
// because the printed form always shows both languages at once.
var (
	gcName       = label{"Government of Canada", "Gouvernement du Canada"}
	formTitle    = label{"Open data release approval", "Approbation de publication de données ouvertes"}
	draftNotice  = label{"DRAFT: the approval form is incomplete. Do not sign.", "ÉBAUCHE : le formulaire d’approbation est incomplet. Ne pas signer."}
	instructions = label{
		"Print this form, have it signed by the business owner or the delegated authority, then upload the signed copy",
		"Imprimez ce formulaire, faites-le signer par le responsable opérationnel ou l’autorité déléguée, puis téléversez la copie signée",
	}
	instructionsAt = label{"at", "à"}
	generatedOn    = label{"Generated on", "Généré le"}
	pageOf         = label{"Page %d of %d", "Page %d de %d"}

	sectionSubmission = label{"1. Submission", "Soumission"}
	sectionOwner      = label{"2. Business owner", "Responsable opérationnel"}
	sectionDataset    = label{"3. Dataset", "Jeu de données"}
	sectionCriteria   = label{"4. Mandatory release criteria", "Critères de publication obligatoires"}
	sectionExceptions = label{"5. Exceptions", "Exceptions"}
	sectionBlanket    = label{"6. Blanket approval", "Approbation globale"}
	sectionApproval   = label{"7. Approval", "Approbation"}

	datahubID    = label{"DataHub ID", "ID DataHub"}
	titleEN      = label{"Dataset title (English)", "Titre du jeu de données (anglais)"}
	titleFR      = label{"Dataset title (French)", "Titre du jeu de données (français)"}
	fileName     = label{"File name", "Nom du fichier"}
	fileURL      = label{"File URL", "URL du fichier"}
	project      = label{"Project", "Projet"}
	contact      = label{"Contact", "Personne-ressource"}
	typeOfData   = label{"Type of data", "Type de données"}
	confirmedBy  = label{"The business owner confirms that:", "Le responsable opérationnel confirme que :"}
	blanketNote  = label{"This approval also covers later releases of:", "Cette approbation vise aussi les publications ultérieures suivantes :"}
	approvalText = label{
		"I approve the release of this dataset under the Open Government Licence – Canada.",
		"J’approuve la publication de ce jeu de données sous la « Licence du gouvernement ouvert – Canada ».",
	}
	signatureLines = []label{
		{"Name of approver", "Nom de la personne approbatrice"},
		{"Title", "Titre"},
		{"Signature", "Signature"},
		{"Date (YYYY-MM-DD)", "Date (AAAA-MM-JJ)"},
	}
)

// formLabels name the approval form's fields, by their opendata.Form* name.
var formLabels = map[string]label{
	opendata.FormOwnerDepartment: {"Department or agency", "Ministère ou organisme"},
	opendata.FormOwnerSector:     {"Sector", "Secteur"},
	opendata.FormOwnerBranch:     {"Branch", "Direction générale"},
	opendata.FormOwnerDivision:   {"Division", "Division"},
	opendata.FormOwnerSection:    {"Section", "Section"},
	opendata.FormOwnerName:       {"Name", "Nom"},
	opendata.FormOwnerPhone:      {"Telephone", "Téléphone"},
	opendata.FormOwnerEmail:      {"Email", "Courriel"},
	opendata.FormDatasetTitle:    {"Dataset title", "Titre du jeu de données"},

	opendata.TypeData:        {"Data", "Données"},
	opendata.TypeInformation: {"Information", "Information"},

	opendata.FormCopyrightCleared: {
		"Copyright is cleared: the Government of Canada owns it or holds the rights needed to release the data under the Open Government Licence – Canada.",
		"Le droit d’auteur est libéré : le gouvernement du Canada le détient ou possède les droits nécessaires pour publier les données sous la « Licence du gouvernement ouvert – Canada ».",
	},
	opendata.FormAuthorityToRelease: {
		"The department has the authority to release the data.",
		"Le ministère a le pouvoir de publier les données.",
	},
	opendata.FormNoPersonalInformation: {
		"The data contain no personal information within the meaning of the Privacy Act.",
		"Les données ne contiennent aucun renseignement personnel au sens de la Loi sur la protection des renseignements personnels.",
	},
	opendata.FormNotClassifiedOrProtected: {
		"The data are neither classified nor protected, and no law restricts their release.",
		"Les données ne sont ni classifiées ni protégées, et aucune loi n’en restreint la publication.",
	},
	opendata.FormFreeOfCharge: {
		"The data can be released free of charge.",
		"Les données peuvent être publiées gratuitement.",
	},
	opendata.FormMachineReadable: {
		"The data are in a machine-readable format.",
		"Les données sont dans un format lisible par machine.",
	},
	opendata.FormNonProprietaryFormat: {
		"The data are in a non-proprietary format.",
		"Les données sont dans un format non exclusif.",
	},
	opendata.FormOfficialLanguages: {
		"The metadata are available in both official languages.",
		"Les métadonnées sont disponibles dans les deux langues officielles.",
	},

	opendata.FormSubjectToExceptions: {
		"The release is subject to the following exceptions or exclusions:",
		"La publication est assujettie aux exceptions ou exclusions suivantes :",
	},
	opendata.FormBlanketOngoing:    {"Updates of this dataset made on an ongoing basis", "Mises à jour de ce jeu de données faites de façon continue"},
	opendata.FormBlanketCollection: {"Datasets of the same collection", "Jeux de données de la même collection"},
	opendata.FormBlanketInSitu:     {"Data released in situ (left at their source)", "Données publiées in situ (laissées à leur source)"},
	opendata.FormBlanketOther:      {"Other:", "Autre :"},
}
