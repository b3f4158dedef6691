# La page publique d'une liste : s'abonner et se désabonner, avec confirmation par courriel.
