"Package metadata comes from settings.ini; nbdev's config is [tool.nbdev] in pyproject.toml."
import re, shlex
from configparser import ConfigParser
from pathlib import Path
import setuptools

cfg = ConfigParser(delimiters=['='])
cfg.read('settings.ini', encoding='utf-8')
cfg = cfg['DEFAULT']
lib = cfg['lib_name']
version = re.search(r'^__version__\s*=\s*"([^"]+)"', Path(lib, '__init__.py').read_text(), re.M)[1]
statuses = 'Planning Pre-Alpha Alpha Beta Production/Stable Mature Inactive'.split()

setuptools.setup(
    name=lib, version=version, description=cfg['description'], keywords=cfg['keywords'],
    author=cfg['author'], author_email=cfg['author_email'], license=cfg['license'],
    classifiers=[f"Development Status :: {cfg['status']} - {statuses[int(cfg['status'])-1]}",
                 'Programming Language :: Python :: 3', 'Programming Language :: Python :: 3 :: Only'],
    long_description=Path('README.md').read_text(encoding='utf-8'), long_description_content_type='text/markdown',
    packages=[lib], python_requires='>=' + cfg['min_python'],
    install_requires=shlex.split(cfg.get('requirements', '')),
    extras_require={'dev': shlex.split(cfg.get('dev_requirements', ''))},
    entry_points={'console_scripts': cfg.get('console_scripts', '').split(), 'nbdev': [f'{lib}={lib}._modidx:d']},
)
