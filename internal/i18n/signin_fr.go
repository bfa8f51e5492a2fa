package i18n

func init() {
	extend(FR, map[string]string{
		"signin.title":             "Connexion",
		"signin.intro":             "Entrez votre adresse courriel professionnelle. Nous vous enverrons un lien de connexion; il fonctionne une seule fois, pendant 15 minutes.",
		"signin.email":             "Adresse courriel",
		"signin.email.hint":        "Par exemple, nom@exemple.gc.ca.",
		"signin.submit":            "M’envoyer un lien de connexion",
		"signin.link":              "Se connecter",
		"signin.error.required":    "Entrez votre adresse courriel.",
		"signin.error.invalid":     "Entrez une seule adresse courriel, comme nom@exemple.gc.ca.",
		"signin.error.domain":      "Entrez une adresse courriel du gouvernement du Canada.",
		"signin.oidc.heading":      "Ou connectez-vous avec votre organisation",
		"signin.oidc":              "Se connecter avec le compte de votre organisation",
		"signin.sent.title":        "Consultez vos courriels",
		"signin.sent":              "Si {email} peut utiliser ce service, un lien de connexion y a été envoyé. Le lien fonctionne une seule fois, dans les {minutes} minutes.",
		"signin.sent.help":         "Aucun courriel après quelques minutes? Vérifiez vos courriels indésirables ou demandez un nouveau lien.",
		"signin.verify.title":      "Terminer la connexion",
		"signin.verify.intro":      "Sélectionnez le bouton pour terminer la connexion sur cet appareil.",
		"signin.verify.submit":     "Se connecter",
		"signin.invalid.title":     "Ce lien de connexion ne fonctionne pas",
		"signin.invalid.used":      "Ce lien de connexion a déjà été utilisé. Chaque lien ne fonctionne qu’une fois : demandez-en un nouveau.",
		"signin.invalid.expired":   "Ce lien de connexion a expiré. Les liens fonctionnent pendant 15 minutes : demandez-en un nouveau.",
		"signin.invalid.unknown":   "Ce lien de connexion n’est pas valide. Demandez-en un nouveau.",
		"signin.oidc.failed.title": "La connexion avec votre organisation n’a pas fonctionné",
		"signin.oidc.failed":       "La connexion de votre organisation n’a pas abouti. Réessayez ou demandez un lien de connexion par courriel.",
	})
}
