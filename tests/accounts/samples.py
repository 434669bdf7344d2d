# ruff: noqa: E501 (export files have long lines, kept as the sites write them)
"""Real-shaped sample export files, written to disk by the tests that use them."""

LETTERBOXD_RATINGS = """Date,Name,Year,Letterboxd URI,Rating
2019-03-02,Amélie,2001,https://boxd.it/29Aw,4.5
2019-03-05,"The Good, the Bad and the Ugly",1966,https://boxd.it/2b5c,5
2020-01-10,Parasite,2019,https://boxd.it/hTha,3.5
2020-02-14,Heat,1995,https://boxd.it/2aHi,3
2020-02-15,Léon: The Professional,1994,https://boxd.it/2b0k,2.5
2020-02-16,A Film Nobody Catalogued,1971,https://boxd.it/zzzz,1
"""

LETTERBOXD_REVIEWS = """Date,Name,Year,Letterboxd URI,Rating,Rewatch,Review,Tags,Watched Date
2021-05-01,Parasite,2019,https://letterboxd.com/maud/film/parasite-2019/,4,Yes,"Even better the <i>second</i> time.<br />The stairs!",,2021-04-30
2021-06-02,Heat,1995,https://letterboxd.com/maud/film/heat/,,No,"No stars, just words.",,2021-06-01
"""

LETTERBOXD_DIARY = """Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date
2020-01-11,Parasite,2019,https://letterboxd.com/maud/film/parasite-2019/,3.5,,,2020-01-10
2021-05-01,Parasite,2019,https://letterboxd.com/maud/film/parasite-2019/1/,4.5,Yes,,2021-04-30
2021-06-01,Heat,1995,https://letterboxd.com/maud/film/heat/,,,,2021-06-01
"""

LETTERBOXD_WATCHED = """Date,Name,Year,Letterboxd URI
2020-01-11,Parasite,2019,https://boxd.it/hTha
"""

IMDB_RATINGS = """Const,Your Rating,Date Rated,Title,Original Title,URL,Title Type,IMDb Rating,Runtime (mins),Year,Genres,Num Votes,Release Date,Directors
tt0211915,8,2014-06-21,Amélie,Le fabuleux destin d'Amélie Poulain,https://www.imdb.com/title/tt0211915/,Movie,8.3,122,2001,"Comedy, Romance",800000,2001-04-25,Jean-Pierre Jeunet
tt0113277,9,2015-01-02,Heat,Heat,https://www.imdb.com/title/tt0113277/,Movie,8.3,170,1995,"Action, Crime, Drama",700000,1995-12-15,Michael Mann
tt9999999,6,2016-03-04,Something Else Entirely,Something Else Entirely,https://www.imdb.com/title/tt9999999/,TV Episode,7.0,44,2016,Drama,120,2016-03-01,Someone
"""

IMDB_RATINGS_OLD = """Const,Your Rating,Date Rated,Title,URL,Title Type,IMDb Rating,Runtime (mins),Year,Genres,Num Votes,Release Date,Directors
tt0211915,7,2012-11-05,Amélie,https://www.imdb.com/title/tt0211915/,movie,8.3,122,2001,"Comedy, Romance",650000,2001-04-25,Jean-Pierre Jeunet
tt6751668,10,2019-12-01,Parasite,https://www.imdb.com/title/tt6751668/,movie,8.6,132,2019,"Comedy, Drama, Thriller",500000,2019-05-30,Bong Joon Ho
"""

CRITICKER = """Score, Film Name, Year, Date Rated, Mini Review, URL, IMDB ID
86, Amélie, 2001, "Jun 21 2014, 22:06", "Charming, if a little sugary.", https://www.criticker.com/film/Amelie/, tt0211915
73, Heat, 1995, Jun 22 2014, 09:15, , https://www.criticker.com/film/Heat/, tt0113277
41, Parasite, 2019, "Dec 01 2019, 20:00", , https://www.criticker.com/film/Parasite/, 6751668
"""

LETTERBOXD_LIST = """Letterboxd list export v7
Date,Name,Tags,URL,Description
2023-02-01,Rainy Sunday films,,https://letterboxd.com/maud/list/rainy-sunday-films/,"Slow, warm, a bit sad."

Position,Name,Year,URL,Description
1,Amélie,2001,https://letterboxd.com/film/amelie/,Paris!
2,Heat,1995,https://letterboxd.com/film/heat/,
3,Nonexistent Film,1999,https://letterboxd.com/film/nonexistent/,
"""

PLAIN_TEN = """title,year,score,date,review
Amélie,2001,7.5,2018-04-01,"Lovely."
heat,1995,9,,
Parasite,2019,11,,
"""
