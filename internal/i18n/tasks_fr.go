package i18n

// La vue d’ensemble de la soumission et ses pages de tâches, les
// confirmations, et les pages qui disent ce qui n’a pas fonctionné.
func init() {
	extend(FR, map[string]string{
		"layout.error_prefix": "Erreur :",

		"flow.tasks":           "Tâches à accomplir",
		"flow.tasks.review":    "La soumission, partie par partie",
		"flow.tasks.intro":     "Accomplissez chaque tâche. Vous pouvez les faire dans l’ordre qui vous convient et y revenir; soumettez pour approbation une fois qu’elles sont toutes terminées.",
		"task.metadata":        "Métadonnées",
		"task.file-check":      "Vérification du fichier",
		"task.approval-form":   "Formulaire d’approbation",
		"task.signed-approval": "Approbation signée",
		"task.submit":          "Soumettre pour approbation",
		"task.metadata.intro":  "Vérifiez et complétez la description du jeu de données. Les mêmes règles s’appliquent que dans l’API.",
		"task.back":            "Retour à la vue d’ensemble de la soumission",
		"task.continue":        "Continuer : {task}",

		"task.status.done":        "Terminé",
		"task.status.todo":        "Non commencé",
		"task.status.in_progress": "En cours",
		"task.status.fix":         "À corriger",
		"task.status.waiting":     "Pas encore possible",
		"task.status.ready":       "Prêt à soumettre",
		"task.status.submitted":   "Soumis",

		"notice.changes_requested": "Modifications demandées par la personne approbatrice",
		"notice.rejected":          "Rejeté par la personne approbatrice",

		"stale.title":   "Cette page n’était plus à jour",
		"stale.message": "Rien n’a été fait : « {action} » n’est plus possible, car la soumission est maintenant « {state} ».",
		"stale.last":    "Dernière modification : {by}, {at}.",
		"stale.you":     "vous",
		"stale.back":    "Voir la soumission telle qu’elle est maintenant",

		"confirm.heading":   "{action} : en êtes-vous certain?",
		"confirm.link":      "{action}…",
		"confirm.cancel":    "Annuler et revenir à la soumission",
		"confirm.withdraw":  "Le retrait met fin à cette soumission : elle ne sera ni examinée ni publiée, et on ne peut pas l’annuler.",
		"confirm.reject":    "Le rejet met fin à cette soumission : elle ne sera pas publiée, et on ne peut pas l’annuler. La personne-ressource reçoit votre motif.",
		"confirm.unpublish": "Le retrait de la publication enlève le jeu de données du registre du gouvernement ouvert. Il pourra être publié de nouveau plus tard.",

		"error.method.title":                "Cette adresse sert à un formulaire",
		"error.method":                      "Cette adresse sert à l’envoi d’un formulaire; elle ne s’ouvre pas comme une page. Rien n’a été fait.",
		"error.internal.title":              "Un problème est survenu",
		"error.internal":                    "Le service n’a pas pu traiter cette demande. Ce que la page a dit enregistré l’est bien; réessayez dans quelques minutes.",
		"error.unavailable.title":           "Le service est indisponible pour un moment",
		"error.unavailable":                 "Le service n’atteint pas sa base de données pour le moment; rien n’a été enregistré. Réessayez dans quelques minutes.",
		"error.storage_full.title":          "Le service n’a plus d’espace",
		"error.storage_full":                "Le service n’a plus d’espace pour enregistrer ceci; rien n’a été enregistré. Réessayez plus tard; l’équipe qui exploite le service en est avertie.",
		"error.forbidden_queue.title":       "Accès refusé",
		"error.forbidden_queue":             "La file d’approbation est réservée aux personnes approbatrices. Vous n’êtes personne approbatrice d’aucun projet; un administrateur peut vous accorder ce rôle.",
		"error.forbidden_queue_admin.title": "Accès refusé",
		"error.forbidden_queue_admin":       "La file d’approbation est réservée aux personnes approbatrices. Vous êtes administrateur, pas personne approbatrice : vous pouvez ouvrir toute soumission et vous accorder le rôle de personne approbatrice à la page des rôles.",
		"error.forbidden_admin.title":       "Accès refusé",
		"error.forbidden_admin":             "Les pages d’administration sont réservées aux administrateurs.",
		"error.back":                        "Revenir là où vous étiez",
		"error.home":                        "Aller à mes soumissions",
		"admin.keys.revoke.title":           "Révoquer la clé {prefix}?",
		"admin.keys.revoke.consequence":     "Le client qui utilise cette clé est refusé dès sa prochaine requête, sur tous les serveurs. On ne peut pas l’annuler : le client aura besoin d’une nouvelle clé.",
		"confirm.cancel.keys":               "Annuler et revenir aux clés",
	})
}
