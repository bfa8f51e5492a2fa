package i18n

func init() {
	extend(FR, map[string]string{
		"lists.mine.title":    "Mes soumissions",
		"lists.mine.caption":  "Soumissions dont vous êtes la personne-ressource, des plus récentes aux plus anciennes",
		"lists.mine.empty":    "Vous n’êtes encore la personne-ressource d’aucune soumission. Lorsqu’un système envoie un jeu de données avec votre adresse courriel comme personne-ressource, il s’affiche ici et vous recevez un courriel contenant son lien.",
		"lists.queue.title":   "File d’approbation",
		"lists.queue.intro":   "Soumissions en attente d’approbation dans les projets que vous approuvez. Ouvrez-en une, lisez son approbation signée, puis approuvez-la, demandez des modifications ou rejetez-la.",
		"lists.queue.caption": "Soumissions en attente d’approbation, des plus anciennes aux plus récentes",
		"lists.queue.empty":   "Aucune soumission n’attend votre approbation.",
		"lists.col.title":     "Titre",
		"lists.col.project":   "Projet",
		"lists.col.state":     "État",
		"lists.col.changed":   "Dernière modification",
		"lists.col.contact":   "Personne-ressource",
		"lists.col.waiting":   "En attente depuis",
		"lists.limited":       "Seules vos {limit} soumissions les plus récentes sont affichées.",
		"lists.limited.queue": "Seules les {limit} soumissions en attente depuis le plus longtemps sont affichées; approuvez-en ou retournez-en quelques-unes pour voir les autres.",
	})
}
