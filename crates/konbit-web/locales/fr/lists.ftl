# Listes de diffusion.
rule-list-name-format = { $field } : utilisez des minuscules, des chiffres, des traits d'union, des soulignés et des points, en commençant et en finissant par une lettre ou un chiffre.
rule-list-address-taken = { $field } : une liste de diffusion de ce domaine utilise déjà cette adresse (une liste prend aussi ses adresses -bounces, -request, -owner, -join, -leave, -confirm, -subscribe et -unsubscribe).
# Les champs d'une liste, tels que les messages de l'API et de la ligne de
# commande les nomment (`field-address` est celui du courrier).
field-description = Description
field-subscription = Qui peut s'inscrire
field-posting = Qui peut écrire
field-reply-to = Les réponses vont à
field-reply-to-address = Adresse de réponse
field-munge-from = Réécrire l'expéditeur (DMARC)
field-archives = Archives
field-digest = Résumé groupé
field-language = Langue de la liste
error-list-not-ready = Cette liste est encore en cours de création sur le serveur de listes. Réessayez dans une minute.
error-service-unavailable = Le serveur de listes ne répond pas pour le moment. Rien n'a été modifié ; réessayez dans quelques minutes.
field-addresses = Adresses
