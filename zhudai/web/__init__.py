"""The risk team's web dashboard (``/web`` on ``zhudai serve``) and its one-file twin
(``zhudai report --out FILE.html``): server-rendered pages over the platform's services."""
