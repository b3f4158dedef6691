# Gouvernance : pourquoi une proposition ou un bulletin a été refusé (problèmes de l'API et erreurs du panneau).
error-wrong-stage = Cette proposition n'est pas à l'étape où cela peut se faire.
error-text-frozen = Le texte est figé depuis l'ouverture du vote : il ne peut plus être modifié.
error-vote-not-open = Le vote sur cette proposition n'est pas encore ouvert.
error-vote-closed = Le vote est clos : ce bulletin n'a pas été compté.
error-stale-text = Le texte a changé depuis que vous l'avez lu : lisez le texte actuel et votez à nouveau.
error-not-in-electorate = Vous ne faites pas partie des votants de ce vote (le corps électoral a été fixé à l'ouverture du vote).
error-invalid-ballot = Ce bulletin ne correspond pas au vote (une option inconnue, ou donnée deux fois).
error-apply-failed = L'exécution de cette décision a encore échoué : sa cause est toujours là.
