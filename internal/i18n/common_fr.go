package i18n

func init() {
	extend(FR, map[string]string{
		"nav.label":        "Vos pages",
		"nav.submissions":  "Mes soumissions",
		"nav.queue":        "File d’approbation",
		"nav.admin":        "Administration",
		"nav.signed_in_as": "Connecté en tant que",
		"nav.signout":      "Se déconnecter",

		"form.errors":   "Il y a un problème",
		"form.required": "(obligatoire)",
		"form.optional": "(facultatif)",

		"error.csrf.title":            "Le formulaire a expiré",
		"error.csrf":                  "Ce formulaire n’a pas été accepté parce qu’il a expiré ou ne provient pas de ce site. Revenez en arrière, rechargez la page et réessayez.",
		"error.forbidden.title":       "Accès refusé",
		"error.forbidden":             "Vous êtes connecté, mais cette page ne vous est pas destinée. Seuls la personne-ressource de la soumission, les personnes approbatrices de son projet et les administrateurs peuvent l’ouvrir.",
		"error.not_found.title":       "Page introuvable",
		"error.not_found":             "Il n’y a rien à cette adresse.",
		"error.signed_out.title":      "Connectez-vous pour continuer",
		"error.signed_out":            "Votre session a pris fin. Connectez-vous de nouveau pour continuer.",
		"error.rate.title":            "Trop de demandes",
		"error.rate":                  "Trop de liens de connexion ont été demandés depuis cette adresse ou pour ce courriel. Attendez quelques minutes et réessayez.",
		"error.conflict.title":        "La soumission a changé",
		"error.conflict":              "Quelqu’un a modifié cette soumission pendant que vous la consultiez. Rechargez la page pour voir où elle en est.",
		"error.form_too_large.title":  "Le formulaire est trop volumineux",
		"error.form_too_large":        "Le formulaire envoyé était trop volumineux pour être accepté.",
		"error.form_type.title":       "Le formulaire n’a pas pu être lu",
		"error.form_type":             "Cette page reçoit un formulaire simple, sans fichier. Revenez en arrière, rechargez la page et réessayez.",
		"error.form_unreadable.title": "Le formulaire n’est pas arrivé",
		"error.form_unreadable":       "Le formulaire envoyé n’a pas pu être lu en entier. Vérifiez votre connexion et réessayez.",
		"error.mail.title":            "Le courriel n’a pas pu être envoyé",
		"error.mail":                  "Le lien de connexion n’a pas pu être envoyé pour l’instant. Réessayez dans quelques minutes.",

		"flash.signed_out": "Vous êtes déconnecté.",
	})
}
