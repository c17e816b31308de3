"""The few words of the self-help pages' own frame (the content is the association's:
ops/selfhelp/), per visitor language. The pages are rendered on the server, so these
are all they need: no JS catalogue. ``pt-BR`` is here for when the widget offers it."""

from __future__ import annotations

PAGE_STRINGS: dict[str, dict[str, str]] = {
    "fr": {
        "quick_exit": "Sortie rapide",
        "language": "Langue",
        "home": "Accueil",
        "lead": "Des réponses courtes, dans votre langue. Pour tout le reste, écrivez-nous.",
        "chat": "Écrire à l'équipe",
        "chat_note": "Anonyme et gratuit",
        "sections": "Rubriques",
        "where": "Où aller",
        "offline": "Pas de connexion : vous lisez la copie gardée sur ce téléphone.",
        "chat_offline": "Le chat a besoin d'une connexion. Ces pages restent lisibles.",
        "exit_tip": "Si quelqu'un arrive, appuyez sur « Sortie rapide » : la page se ferme "
        "et ces pages sont effacées de ce téléphone.",
        "pages_link": "Santé, aide, droits : lire",
    },
    "en": {
        "quick_exit": "Quick exit",
        "language": "Language",
        "home": "Home",
        "lead": "Short answers, in your language. For anything else, write to us.",
        "chat": "Write to the team",
        "chat_note": "Anonymous and free",
        "sections": "Sections",
        "where": "Where to go",
        "offline": "No connection: you are reading the copy kept on this phone.",
        "chat_offline": "The chat needs a connection. These pages can still be read.",
        "exit_tip": "If someone comes, press “Quick exit”: the page closes and these pages "
        "are wiped from this phone.",
        "pages_link": "Health, help, rights: read",
    },
    "bg": {
        "quick_exit": "Бърз изход",
        "language": "Език",
        "home": "Начало",
        "lead": "Кратки отговори на вашия език. За всичко друго ни пишете.",
        "chat": "Пишете на екипа",
        "chat_note": "Анонимно и безплатно",
        "sections": "Раздели",
        "where": "Къде да отидете",
        "offline": "Няма връзка: четете копието, запазено на този телефон.",
        "chat_offline": "Чатът има нужда от връзка. Тези страници могат да се четат и така.",
        "exit_tip": "Ако някой дойде, натиснете „Бърз изход“: страницата се затваря и тези "
        "страници се изтриват от този телефон.",
        "pages_link": "Здраве, помощ, права: прочетете",
    },
    "ro": {
        "quick_exit": "Ieșire rapidă",
        "language": "Limba",
        "home": "Acasă",
        "lead": "Răspunsuri scurte, în limba ta. Pentru orice altceva, scrie-ne.",
        "chat": "Scrie echipei",
        "chat_note": "Anonim și gratuit",
        "sections": "Secțiuni",
        "where": "Unde să mergi",
        "offline": "Fără conexiune: citești copia păstrată pe acest telefon.",
        "chat_offline": "Chatul are nevoie de conexiune. "
        "Paginile acestea pot fi citite în continuare.",
        "exit_tip": "Dacă vine cineva, apasă „Ieșire rapidă”: pagina se închide și aceste "
        "pagini sunt șterse de pe telefon.",
        "pages_link": "Sănătate, ajutor, drepturi: citește",
    },
    "ru": {
        "quick_exit": "Быстрый выход",
        "language": "Язык",
        "home": "Главная",
        "lead": "Короткие ответы на вашем языке. Обо всём остальном — напишите нам.",
        "chat": "Написать команде",
        "chat_note": "Анонимно и бесплатно",
        "sections": "Разделы",
        "where": "Куда обратиться",
        "offline": "Нет связи: вы читаете копию, сохранённую на этом телефоне.",
        "chat_offline": "Для чата нужна связь. Эти страницы можно читать и без неё.",
        "exit_tip": "Если кто-то идёт, нажмите «Быстрый выход»: страница закроется, и эти "
        "страницы сотрутся с телефона.",
        "pages_link": "Здоровье, помощь, права: читать",
    },
    "es": {
        "quick_exit": "Salida rápida",
        "language": "Idioma",
        "home": "Inicio",
        "lead": "Respuestas cortas, en tu idioma. Para todo lo demás, escríbenos.",
        "chat": "Escribir al equipo",
        "chat_note": "Anónimo y gratis",
        "sections": "Secciones",
        "where": "Adónde ir",
        "offline": "Sin conexión: estás leyendo la copia guardada en este teléfono.",
        "chat_offline": "El chat necesita conexión. Estas páginas se pueden seguir leyendo.",
        "exit_tip": "Si alguien llega, pulsa «Salida rápida»: la página se cierra y estas "
        "páginas se borran de este teléfono.",
        "pages_link": "Salud, ayuda, derechos: leer",
    },
    "pt": {
        "quick_exit": "Saída rápida",
        "language": "Língua",
        "home": "Início",
        "lead": "Respostas curtas, na sua língua. Para tudo o resto, escreva-nos.",
        "chat": "Escrever à equipa",
        "chat_note": "Anónimo e gratuito",
        "sections": "Secções",
        "where": "Onde ir",
        "offline": "Sem ligação: está a ler a cópia guardada neste telemóvel.",
        "chat_offline": "O chat precisa de ligação. Estas páginas continuam legíveis.",
        "exit_tip": "Se alguém chegar, carregue em «Saída rápida»: a página fecha-se e estas "
        "páginas são apagadas deste telemóvel.",
        "pages_link": "Saúde, ajuda, direitos: ler",
    },
    "pt-BR": {
        "quick_exit": "Saída rápida",
        "language": "Idioma",
        "home": "Início",
        "lead": "Respostas curtas, no seu idioma. Para todo o resto, escreva para nós.",
        "chat": "Escrever para a equipe",
        "chat_note": "Anônimo e gratuito",
        "sections": "Seções",
        "where": "Aonde ir",
        "offline": "Sem conexão: você está lendo a cópia guardada neste celular.",
        "chat_offline": "O chat precisa de conexão. Estas páginas continuam legíveis.",
        "exit_tip": "Se alguém chegar, toque em “Saída rápida”: a página fecha e estas "
        "páginas são apagadas deste celular.",
        "pages_link": "Saúde, ajuda, direitos: ler",
    },
    "zh": {
        "quick_exit": "快速离开",
        "language": "语言",
        "home": "首页",
        "lead": "用你的语言给出简短回答。其他问题，请给我们写信。",
        "chat": "给团队写信",
        "chat_note": "匿名、免费",
        "sections": "栏目",
        "where": "去哪里",
        "offline": "没有网络：你正在阅读保存在这部手机上的副本。",
        "chat_offline": "聊天需要网络连接。这些页面仍然可以阅读。",
        "exit_tip": "如果有人来了，请按“快速离开”：页面会关闭，这些页面会从这部手机上清除。",
        "pages_link": "健康、帮助、权利：阅读",
    },
}


def page_strings(language: str) -> dict[str, str]:
    return (
        PAGE_STRINGS.get(language) or PAGE_STRINGS.get(language.split("-")[0]) or PAGE_STRINGS["en"]
    )
